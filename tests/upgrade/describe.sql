-- Every object of the cltv extension with what defines it, one line each, sorted: two
-- databases with the same output have the same cltv. Used to compare an updated database
-- with a fresh install.
WITH members AS (
    SELECT d.classid, d.objid
      FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
     WHERE e.extname = 'cltv' AND d.deptype = 'e'
)
SELECT line FROM (
    -- functions and aggregates: signature, result, flags, symbol
    SELECT format('function %s.%s(%s) -> %s %s strict=%s parallel=%s secdef=%s src=%s acl=%s comment=%s',
                  p.pronamespace::regnamespace, p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
                  p.provolatile, p.proisstrict, p.proparallel, p.prosecdef, p.prosrc, p.proacl,
                  obj_description(p.oid, 'pg_proc')) AS line
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
    UNION ALL
    SELECT format('aggregate %s(%s) sfunc=%s stype=%s combine=%s final=%s',
                  p.proname, pg_get_function_identity_arguments(p.oid), a.aggtransfn, format_type(a.aggtranstype, NULL),
                  a.aggcombinefn, a.aggfinalfn)
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
      JOIN pg_aggregate a ON a.aggfnoid = p.oid
    UNION ALL
    -- relations: kind, columns in order, view text, ACL, comment
    SELECT format('relation %s kind=%s acl=%s rls=%s options=%s comment=%s', c.oid::regclass, c.relkind, c.relacl,
                  c.relrowsecurity, c.reloptions, obj_description(c.oid, 'pg_class'))
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT format('column %s.%s #%s %s notnull=%s default=%s', c.oid::regclass, a.attname,
                  row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid))
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('view %s: %s', c.oid::regclass, pg_get_viewdef(c.oid))
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid AND c.relkind = 'v'
    UNION ALL
    SELECT format('constraint %s on %s: %s', con.conname, con.conrelid::regclass, pg_get_constraintdef(con.oid))
      FROM members m JOIN pg_constraint con ON m.classid = 'pg_class'::regclass AND con.conrelid = m.objid
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT format('policy %s on %s for %s: %s', pol.polname, pol.polrelid::regclass, pol.polcmd,
                  pg_get_expr(pol.polqual, pol.polrelid))
      FROM members m JOIN pg_policy pol ON m.classid = 'pg_class'::regclass AND pol.polrelid = m.objid
    UNION ALL
    SELECT format('type %s', t.oid::regtype)
      FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT format('schema %s acl=%s', n.nspname, n.nspacl)
      FROM members m JOIN pg_namespace n ON m.classid = 'pg_namespace'::regclass AND n.oid = m.objid
    UNION ALL
    SELECT format('dumped with the data: %s', cfg::regclass)
      FROM pg_extension e, unnest(e.extconfig) AS cfg WHERE e.extname = 'cltv'
) lines
ORDER BY line;
