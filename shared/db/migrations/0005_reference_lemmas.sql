-- Korean lemmas of each reference's caption and tags (shared.references.korean: nouns, verb and
-- adjective stems, canonical synonyms and what they imply), matched by search as a third text signal
-- next to the trigram index. lemmas_version says which analyser and concept tables produced them:
-- ingest recomputes the rows whose version is not the current one.
ALTER TABLE reference_images ADD COLUMN IF NOT EXISTS lemmas text[] NOT NULL DEFAULT '{}';
ALTER TABLE reference_images ADD COLUMN IF NOT EXISTS lemmas_version integer NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS reference_images_lemmas ON reference_images USING gin (lemmas);
