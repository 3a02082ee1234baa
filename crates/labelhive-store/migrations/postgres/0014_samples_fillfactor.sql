-- Relabeling rewrites a sample row. With full pages PostgreSQL puts the new version
-- on another page and adds an entry to every index of samples; with free room on the
-- page, and no indexed column changed (a labeled sample relabeled keeps its status),
-- the update stays on the page (a HOT update) and touches no index. Pages filled
-- from now on keep a fifth free; existing pages keep their layout until rewritten.
alter table samples set (fillfactor = 80);
