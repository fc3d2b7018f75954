-- Reference images for the search step: what they show (category, stage, tags, Korean caption), where
-- the image lives (blob in the "references" container), and KoCLIP embeddings of image and caption.
-- "references" is an SQL keyword, hence reference_images.

-- array_to_string is only STABLE; for a generated column the text must come from an IMMUTABLE function.
CREATE OR REPLACE FUNCTION reference_search_text(caption text, tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT caption || ' ' || array_to_string(tags, ' ') $$;

CREATE TABLE IF NOT EXISTS reference_images (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category          text NOT NULL,
    stage             text NOT NULL,
    tags              text[] NOT NULL DEFAULT '{}',
    caption           text NOT NULL,
    blob_name         text NOT NULL,
    thumbnail_blob    text NOT NULL,
    sha256            text NOT NULL,
    source            text NOT NULL DEFAULT '',
    license           text NOT NULL DEFAULT '',
    width             integer NOT NULL,
    height            integer NOT NULL,
    image_embedding   vector(512) NOT NULL,
    caption_embedding vector(512),
    search_text       text GENERATED ALWAYS AS (reference_search_text(caption, tags)) STORED,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- Ingest skips what is already there by content: the same image never lands twice.
    CONSTRAINT reference_images_sha256_key UNIQUE (sha256)
);

-- Cosine HNSW on normalised vectors; category/stage filters use iterative index scans (pgvector 0.8).
CREATE INDEX IF NOT EXISTS reference_images_image_hnsw
    ON reference_images USING hnsw (image_embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX IF NOT EXISTS reference_images_caption_hnsw
    ON reference_images USING hnsw (caption_embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX IF NOT EXISTS reference_images_text_trgm
    ON reference_images USING gin (search_text gin_trgm_ops);
CREATE INDEX IF NOT EXISTS reference_images_tags
    ON reference_images USING gin (tags);
CREATE INDEX IF NOT EXISTS reference_images_category_stage
    ON reference_images (category, stage);
