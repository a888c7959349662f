-- A CHECK of the form x IN ('a', 'b', 'c') makes SQLite build a temporary
-- b-tree of its list each time an INSERT or UPDATE checks it (a list of
-- more than two constants is looked up so): seven of them for a new
-- meeting with two participants and two principles, about a tenth of the
-- writer's instructions. The same constraints written as OR chains are
-- checked without one. Nothing stored changes, and no row can break them
-- (each is the same predicate), so the tables' definitions are edited in
-- place, as SQLite documents for changes that leave the stored content as
-- it is (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds
-- Of Table Schema Changes"). A definition that does not hold the text
-- (none that the earlier migrations made) is left as it is.

PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
	'CHECK (kind IN (''meeting'', ''talks'', ''phone_call'', ''video_call'', ''summit'', ''visit'', ''other''))',
	'CHECK (kind = ''meeting'' OR kind = ''talks'' OR kind = ''phone_call'' OR kind = ''video_call'' OR kind = ''summit'' OR kind = ''visit'' OR kind = ''other'')')
WHERE type = 'table' AND name = 'meetings';
UPDATE sqlite_schema SET sql = replace(sql,
	'CHECK (role IN (''host'', ''guest'', ''attendee''))',
	'CHECK (role = ''host'' OR role = ''guest'' OR role = ''attendee'')')
WHERE type = 'table' AND name = 'attendances';
UPDATE sqlite_schema SET sql = replace(sql,
	'CHECK (stance IN (''proposed'', ''reaffirmed'', ''cited''))',
	'CHECK (stance = ''proposed'' OR stance = ''reaffirmed'' OR stance = ''cited'')')
WHERE type = 'table' AND name = 'invocations';
UPDATE sqlite_schema SET sql = replace(replace(sql,
	'CHECK (action IN (''create'', ''update'', ''delete''))',
	'CHECK (action = ''create'' OR action = ''update'' OR action = ''delete'')'),
	'CHECK (type IN (''meeting'', ''participant'', ''principle''))',
	'CHECK (type = ''meeting'' OR type = ''participant'' OR type = ''principle'')')
WHERE type = 'table' AND name = 'changes';
PRAGMA writable_schema = OFF;
