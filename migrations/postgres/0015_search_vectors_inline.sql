-- A search ranks every match with ts_rank, which reads the match's whole
-- search vector (4.3 KB on average in the bench's 10k store, whose
-- readouts are 4 KB). A row longer than 2 KB had its vector moved out of
-- line, into the TOAST table, and each match ranked fetched it back
-- through that table's index: ranking "minister", in 9,407 of 15,883
-- meetings, took 111 ms. A row now stays whole up to 8,160 bytes, and the
-- vector is the last of its columns to leave it (MAIN: after the readout
-- texts): the same ranking takes 71 ms, and the bench's searches ran 54 ->
-- 72 a second. The table's heap grows by what its TOAST table loses.
-- Vectors stored before stay where they are until their record is
-- written again; VACUUM FULL meetings moves them all at once.
ALTER TABLE meetings SET (toast_tuple_target = 8160);
ALTER TABLE meetings ALTER COLUMN search SET STORAGE MAIN;
