-- PostgreSQL leaves room on sample pages for updates in place (see its 0014). SQLite
-- rewrites a changed row in place when it fits and has no such setting.
select 1;
