-- What each reference shows first: the lemmas of its first tag (ingest's metadata lists the subject
-- first). The lemma match ranks, among references that share as many query words, the one whose
-- subject the query names above one that shows it on the side (한옥 → the hanok, before the lantern
-- alley between hanok walls). Filled by shared.references.store.refresh_lemmas (the lemma version
-- changed with it), so rows stored before this migration get theirs too.
ALTER TABLE reference_lemmas ADD COLUMN IF NOT EXISTS subject text[] NOT NULL DEFAULT '{}';
