-- A ticket row stays whole and uncompressed up to nearly a page. With its document
-- (the SLA replay included) and search words a row is about 2.5 kB, past the default
-- 2 kB at which PostgreSQL compresses it: every create and every change of a ticket ran
-- pglz over its document (about 4 % of PostgreSQL's CPU in a create, measured with
-- perf), and every read that returns the document decompressed it. Rows this size now
-- stay as written (larger ones are compressed and moved out of line as before); the
-- table takes about a third more space. `{schema}` is replaced by the quoted schema name.
ALTER TABLE {schema}.tickets SET (toast_tuple_target = 8160);
