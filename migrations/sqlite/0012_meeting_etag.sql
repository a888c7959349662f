-- Each meeting's stored JSON keeps its ETag beside it (model_etag of body),
-- written with body by the one writer of both (store/history.c,
-- meeting_json_store), so that a read by id sends the body with the ETag
-- it was stored with instead of hashing 6 KB on every read. The triggers
-- of 0008 clear body alone: an etag is read only with a body that is not
-- NULL, and every write of a body writes its etag. A body stored before
-- this migration has none until it is written again; its ETag is computed
-- when it is read, as before.
ALTER TABLE meeting_json ADD COLUMN etag TEXT;
