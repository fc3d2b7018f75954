-- The lemmas move from reference_images into a narrow table of their own. A reference_images row
-- carries two 512-d vectors (about 2 KB each), so reading the few hundred rows a lemma match scores
-- took most of its time (bench/search.py, text side); here a row is ~150 bytes. category and stage
-- are copies of the reference's (which never change after ingest), so the match filters without a join.
CREATE TABLE IF NOT EXISTS reference_lemmas (
    id        bigint PRIMARY KEY REFERENCES reference_images (id) ON DELETE CASCADE,
    category  text NOT NULL,
    stage     text NOT NULL,
    lemmas    text[] NOT NULL,
    version   integer NOT NULL  -- shared.references.korean.lemmas_version() that produced them
);
CREATE INDEX IF NOT EXISTS reference_lemmas_lemmas ON reference_lemmas USING gin (lemmas);

INSERT INTO reference_lemmas (id, category, stage, lemmas, version)
    SELECT id, category, stage, lemmas, lemmas_version FROM reference_images WHERE lemmas_version <> 0
    ON CONFLICT (id) DO NOTHING;
DROP INDEX IF EXISTS reference_images_lemmas;
ALTER TABLE reference_images DROP COLUMN IF EXISTS lemmas, DROP COLUMN IF EXISTS lemmas_version;
