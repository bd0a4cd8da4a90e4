DROP INDEX notes_tagged_public;
