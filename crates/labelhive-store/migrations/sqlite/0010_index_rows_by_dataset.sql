-- PostgreSQL's index rows now refer to their dataset instead of their sample (see its
-- 0010). SQLite looks a referenced row up by its primary key whatever its statistics,
-- so its tables keep their references; the store deletes a sample's index rows with
-- the sample on both.
select 1;
