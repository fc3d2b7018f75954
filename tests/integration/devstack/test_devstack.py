"""The local stack is real: Azurite answers the storage SDK, PostgreSQL has pgvector and pg_trgm."""

from azure.storage.blob import BlobServiceClient


def test_azurite_stores_and_reads_a_blob(azurite):
    service = BlobServiceClient.from_connection_string(azurite)
    container = service.get_container_client("stacktest")
    if not container.exists():
        container.create_container()
    container.upload_blob("hello.txt", "안녕", overwrite=True)
    assert container.download_blob("hello.txt").readall().decode() == "안녕"


def test_postgres_has_vector_and_trigram_after_migrations(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        names = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
        assert {"vector", "pg_trgm"} <= names
        assert conn.execute("SELECT '[1,0]'::vector <=> '[0,1]'::vector").fetchone()[0] == 1.0
        applied = {r[0] for r in conn.execute("SELECT name FROM schema_migrations")}
        assert "0001_extensions.sql" in applied


def test_migrations_are_idempotent(postgres_url):
    from shared.db.schema import migrate

    assert migrate(postgres_url) == []
