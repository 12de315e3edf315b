-- cltv 0.4.0 -> 0.5.0: everyday use.
-- tests/lifecycle/upgrade.sh checks that an updated database has exactly the objects of a
-- fresh install.
\echo Use "ALTER EXTENSION cltv UPDATE TO '0.5.0'" to load this file. \quit
