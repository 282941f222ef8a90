"""DM501-DM503 and the database readers on real SQLite files and a real PostgreSQL cluster.

Each situation is made with real ``migrate`` / ``migrate --fake`` and rows written by hand,
then djmig's findings are compared with what Django itself decides on that database
(``db_oracle``: ``MigrationLoader(connection)``, ``check_consistent_history``,
``detect_soft_applied``, ``--prune``), and the command djmig advises is run to show it
repairs the database. One migrated template project is copied for every SQLite situation.
"""

from __future__ import annotations

import re
import shutil
import socket
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from db_oracle import db_verdict, run_advice
from django_oracle import django_migrate
from djmig import db
from djmig.analysis import Analysis, Workspace, analyze_workspace
from djmig.cli import main
from djmig.config import load_pyproject, merge
from djmig.db import postgres as pg_reader
from djmig.db import sqlite as sqlite_reader
from djmig.db.target import DatabaseTarget, DatabaseUnavailable, from_url
from djmig.index.discovery import discover
from djmig.keys import MigrationKey
from helpers import line_of, make_project, migration, sorted_keys
from postgres import Cluster

PRODUCT = 'migrations.CreateModel("Product", [("id", models.AutoField(primary_key=True))])'
SKU = 'migrations.AddField("product", "sku", models.CharField(max_length=8, null=True))'
ORDER = (
    'migrations.CreateModel("Order", [("id", models.AutoField(primary_key=True)), '
    '("product", models.ForeignKey("shop.product", on_delete=models.CASCADE))])'
)
AUTHOR = 'migrations.CreateModel("Author", [("id", models.AutoField(primary_key=True))])'
BOOK = 'migrations.CreateModel("Book", [("id", models.AutoField(primary_key=True))])'
BOOK_AUTHORS = 'migrations.AddField("book", "authors", models.ManyToManyField("legacy.author"))'
FAMOUS = 'migrations.CreateModel("Famous", [], options={"proxy": True}, bases=("legacy.author",))'
POST = 'migrations.CreateModel("Post", [("id", models.AutoField(primary_key=True))])'
TITLE = 'migrations.AddField("post", "title", models.CharField(max_length=10, null=True))'
BODY = 'migrations.AddField("post", "body", models.TextField(null=True))'
BLOG = [("blog", "0001_initial"), ("blog", "0002_post_title"), ("blog", "0003_post_body")]

FILES = {
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": migration(initial=True, ops=PRODUCT),
    "shop/migrations/0002_product_sku.py": migration(deps=[("shop", "0001_initial")], ops=SKU),
    "shop/migrations/0003_order.py": migration(deps=[("shop", "0002_product_sku")], ops=ORDER),
    "legacy/migrations/__init__.py": "",
    "legacy/migrations/0001_initial.py": migration(
        initial=True, ops="\n".join([AUTHOR, BOOK, BOOK_AUTHORS, FAMOUS])
    ),
    "blog/migrations/__init__.py": "",
    "blog/migrations/0001_initial.py": migration(initial=True, ops=POST),
    "blog/migrations/0002_post_title.py": migration(deps=[BLOG[0]], ops=TITLE),
    "blog/migrations/0003_post_body.py": migration(deps=[BLOG[1]], ops=BODY),
    "blog/migrations/0001_squashed_0003_post_body.py": migration(
        initial=True, replaces=BLOG, ops="\n".join([POST, TITLE, BODY])
    ),
    "news/migrations/__init__.py": "",
    "news/migrations/0001_initial.py": migration(
        initial=True, deps=[("blog", "0001_squashed_0003_post_body")], ops=AUTHOR
    ),
}
WORKSPACE_APPS = {"shop", "legacy", "blog", "news"}
COMMAND = re.compile(r'python manage\.py (?:shell -c "[^"]*"|migrate[\w -]*\w)')


def commands(message: str) -> list[str]:
    return COMMAND.findall(message)


def codes(analysis: Analysis, code: str) -> list:
    return [f for f in analysis.findings if f.code == code]


def analyze(root: Path, url: str | None = None) -> Analysis:
    config, errors = load_pyproject(root)
    assert not errors
    if url is not None:
        config, errors = merge(config, {"database": url})
        assert not errors
    return analyze_workspace(root, config, database=True)


def agree_with_django(root: Path, url: str | None = None) -> Analysis:
    """djmig's graph and DM501-DM503 against Django's on the same database."""
    verdict = db_verdict(root)
    analysis = analyze(root, url)
    graph = analysis.graph
    report = f"Django: {verdict}\ndjmig: {[(f.code, f.message) for f in analysis.findings]}"
    assert sorted(graph.nodes) == sorted_keys(verdict["nodes"]), report
    assert sorted(graph.edges()) == sorted(
        (MigrationKey(*p), MigrationKey(*c)) for p, c in verdict["edges"]
    ), report
    assert graph.leaf_nodes() == sorted_keys(verdict["leaf_nodes"]), report
    assert graph.applied is not None
    assert sorted(graph.applied) == sorted_keys(verdict["applied"]), report
    dm501 = codes(analysis, "DM501")
    if verdict["inconsistent"] is None:
        assert not dm501, report
    else:
        sentence = verdict["inconsistent"].split(": ", 1)[1].split(" on database")[0]
        assert any(f.message.startswith(sentence) for f in dm501), report
    soft = {MigrationKey(*k) for k in verdict["soft_applied"] if k[0] in WORKSPACE_APPS}
    expected_dm503 = set() if verdict["inconsistent"] else soft
    dm503 = {MigrationKey(f.path.parent.parent.name, f.path.stem) for f in codes(analysis, "DM503")}
    assert dm503 == expected_dm503, report
    pruned = {app for app in verdict["prune"] if app in WORKSPACE_APPS}
    assert {f.path.parent.parent.name for f in codes(analysis, "DM502")} == pruned, report
    for finding in codes(analysis, "DM502"):
        app = finding.path.parent.parent.name
        assert all(name in finding.message for name in verdict["prune"][app]), report
    return analysis


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, every migration applied to ``db.sqlite3``."""
    root = make_project(tmp_path_factory.mktemp("template"), FILES)
    code, output = django_migrate(root)
    assert code == 0, output
    return root


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(template, root)
    return root


def execute(root: Path, *statements: str) -> None:
    with sqlite3.connect(root / "db.sqlite3") as connection:
        for statement in statements:
            connection.execute(statement)


def delete_rows(app: str, *names: str) -> str:
    where = f" AND name IN ({', '.join(repr(n) for n in names)})" if names else ""
    return f"DELETE FROM django_migrations WHERE app = {app!r}{where}"


def insert_row(app: str, name: str) -> str:
    return (
        "INSERT INTO django_migrations (app, name, applied) "
        f"VALUES ({app!r}, {name!r}, '2026-11-30 14:02:00')"
    )


# -- SQLite situations --------------------------------------------------------------------------


def test_fully_migrated_database_is_clean_and_uses_the_squash(project: Path):
    analysis = agree_with_django(project)
    assert not [f for f in analysis.findings if f.code.startswith("DM5")]
    assert MigrationKey("blog", "0001_squashed_0003_post_body") in analysis.graph.applied
    assert analysis.database is not None
    assert analysis.database.description == "SQLite database db.sqlite3"


def test_inconsistent_history_advice_records_the_dependency(project: Path):
    execute(project, delete_rows("shop", "0001_initial"))
    code, output = django_migrate(project)
    assert code != 0 and "InconsistentMigrationHistory" in output
    analysis = agree_with_django(project)
    (finding,) = codes(analysis, "DM501")
    assert finding.path == project / "shop/migrations/0002_product_sku.py"
    assert finding.span.start_line == line_of(finding.path, "('shop', '0001_initial')")
    assert finding.message.startswith(
        "Migration shop.0002_product_sku is applied before its dependency shop.0001_initial"
    )
    (command,) = commands(finding.message)
    assert run_advice(project, command)[0] == 0
    assert django_migrate(project)[0] == 0
    assert not codes(agree_with_django(project), "DM501")


def test_partially_applied_squash_keeps_replaced_nodes_and_finds_the_inconsistency(
    project: Path,
):
    execute(project, delete_rows("blog", "0003_post_body", "0001_squashed_0003_post_body"))
    analysis = agree_with_django(project)
    graph = analysis.graph
    assert MigrationKey("blog", "0001_squashed_0003_post_body") not in graph
    assert graph.parents(MigrationKey("news", "0001_initial")) == [MigrationKey(*BLOG[2])]
    (finding,) = codes(analysis, "DM501")
    assert finding.path == project / "news/migrations/0001_initial.py"
    (command,) = commands(finding.message)
    assert "('blog', '0003_post_body')" in command
    assert run_advice(project, command)[0] == 0
    analysis = agree_with_django(project)
    assert not codes(analysis, "DM501")
    assert MigrationKey("blog", "0001_squashed_0003_post_body") in analysis.graph


def test_squash_unrecorded_but_all_replaced_applied_is_consistent(project: Path):
    execute(project, delete_rows("blog", "0001_squashed_0003_post_body"))
    analysis = agree_with_django(project)
    assert not codes(analysis, "DM501")
    assert django_migrate(project)[0] == 0


def test_nothing_applied_of_a_squashed_app_uses_the_squash(project: Path):
    execute(project, delete_rows("blog"), delete_rows("news"))
    analysis = agree_with_django(project)
    assert MigrationKey("blog", "0001_squashed_0003_post_body") in analysis.graph
    # Their tables exist: migrate would fail, --fake-initial records the squash.
    squash, news = codes(analysis, "DM503")
    assert squash.path.name == "0001_squashed_0003_post_body.py"
    assert "(blog_post, blog_post.title, blog_post.body)" in squash.message
    assert news.path == project / "news/migrations/0001_initial.py"


def test_recorded_migration_without_file_advice_prunes_it(project: Path):
    execute(project, insert_row("shop", "0004_coupon"))
    analysis = agree_with_django(project)
    (finding,) = codes(analysis, "DM502")
    assert finding.path == project / "shop/migrations/0003_order.py"
    assert "0004_coupon" in finding.message
    assert commands(finding.message) == ["python manage.py migrate --prune shop"]
    assert run_advice(project, commands(finding.message)[0])[0] == 0
    assert not codes(agree_with_django(project), "DM502")


def test_renamed_migration_advice_fakes_the_new_name_then_prunes(project: Path):
    old = project / "shop/migrations/0003_order.py"
    old.rename(old.with_name("0003_orders.py"))
    code, output = django_migrate(project)
    assert code != 0 and "already exists" in output  # migrate runs it again
    analysis = agree_with_django(project)
    (finding,) = codes(analysis, "DM502")
    assert finding.path == project / "shop/migrations/0003_orders.py"
    fake, prune = commands(finding.message)[-2:]
    assert fake == "python manage.py migrate --fake shop 0003_orders"
    assert prune == "python manage.py migrate --prune shop"
    assert run_advice(project, fake)[0] == 0
    assert run_advice(project, prune)[0] == 0
    assert django_migrate(project)[0] == 0
    assert not [f for f in agree_with_django(project).findings if f.code.startswith("DM5")]


def test_tables_exist_unrecorded_advice_fakes_the_initial_migration(project: Path):
    execute(project, delete_rows("legacy"))
    code, output = django_migrate(project)
    assert code != 0 and "already exists" in output
    analysis = agree_with_django(project)
    (finding,) = codes(analysis, "DM503")
    assert finding.path == project / "legacy/migrations/0001_initial.py"
    assert finding.span.start_line == line_of(finding.path, "class Migration")
    assert "legacy_author, legacy_book, legacy_book_authors" in finding.message
    (command,) = commands(finding.message)
    assert command == "python manage.py migrate --fake-initial legacy 0001_initial"
    assert run_advice(project, command)[0] == 0
    assert django_migrate(project)[0] == 0
    assert not codes(agree_with_django(project), "DM503")


def test_missing_table_of_an_initial_migration_is_not_soft_applied(project: Path):
    execute(project, delete_rows("legacy"), "DROP TABLE legacy_book_authors")
    assert not codes(agree_with_django(project), "DM503")


def test_missing_column_of_an_initial_add_field_is_not_soft_applied(project: Path):
    init = project / "shop/migrations/0001_initial.py"
    init.write_text(migration(initial=True, ops=f"{PRODUCT}\n{SKU}"))
    (project / "shop/migrations/0002_product_sku.py").write_text(
        migration(deps=[("shop", "0001_initial")])
    )
    execute(project, delete_rows("shop"), "ALTER TABLE shop_product DROP COLUMN sku")
    assert not codes(agree_with_django(project), "DM503")
    execute(project, "ALTER TABLE shop_product ADD COLUMN sku varchar(8)")
    (finding,) = codes(agree_with_django(project), "DM503")
    assert "shop_product.sku" in finding.message


def test_database_url_option_overrides_the_settings(project: Path, tmp_path: Path):
    other = tmp_path / "other.sqlite3"
    shutil.copy(project / "db.sqlite3", other)
    with sqlite3.connect(other) as connection:
        connection.execute(insert_row("shop", "0009_elsewhere"))
    analysis = analyze(project, f"sqlite:///{other}")
    assert analysis.database is not None
    assert "0009_elsewhere" in codes(analysis, "DM502")[0].message
    assert not codes(analyze(project), "DM502")


def test_check_database_option_exits_with_the_error(project: Path, capsys):
    execute(project, delete_rows("shop", "0001_initial"))
    assert main(["check", str(project), "--database", "auto"]) == 1
    out = capsys.readouterr().out
    assert "DM501 Migration shop.0002_product_sku is applied before" in out
    assert main(["check", str(project)]) == 0  # no database unless asked for
    assert main(["check", str(project), "--database", "sqlite:///missing.db"]) == 0
    assert "cannot read SQLite database missing.db: no such file" in capsys.readouterr().err


# -- SQLite: read-only and failures -------------------------------------------------------------


def sqlite_target(path: Path) -> DatabaseTarget:
    return from_url(f"sqlite:///{path}", path.parent, "test")


def test_sqlite_connection_is_read_only(project: Path):
    connection = sqlite_reader.connect(sqlite_target(project / "db.sqlite3"), 5)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute(delete_rows("shop"))
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("CREATE TABLE intruder (id integer)")
    connection.close()


def test_missing_sqlite_file_is_one_message_and_is_not_created(tmp_path: Path):
    missing = tmp_path / "nothing.sqlite3"
    with pytest.raises(DatabaseUnavailable, match="no such file"):
        db.read_database(sqlite_target(missing))
    assert not missing.exists()


def test_locked_sqlite_file_gives_up_after_the_timeout(project: Path):
    holder = sqlite3.connect(project / "db.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(db.read_database, sqlite_target(project / "db.sqlite3"), 0.2)
            with pytest.raises(DatabaseUnavailable, match="database is locked"):
                future.result(timeout=30)
    finally:
        holder.rollback()
        holder.close()


def test_database_without_django_migrations_reads_as_nothing_applied(project: Path):
    (project / "db.sqlite3").unlink()
    with sqlite3.connect(project / "db.sqlite3") as connection:
        connection.execute("CREATE TABLE legacy_author (id integer primary key)")
    project_ = discover(project, load_pyproject(project)[0])
    state, notice = db.load(load_pyproject(project)[0], project_)
    assert state is not None and state.applied == {} and not state.has_table
    assert notice == (
        "SQLite database db.sqlite3 has no django_migrations table: no migration is applied "
        "there (migrate has never run)"
    )
    assert not codes(analyze(project), "DM503")  # legacy_book is missing


def test_unreadable_settings_database_is_one_message(tmp_path: Path):
    root = make_project(
        tmp_path,
        {"shop/migrations/__init__.py": "", "shop/migrations/0001_initial.py": migration()},
        extra_settings="DATABASES = {'default': {'ENGINE': 'django.db.backends.mysql', "
        "'NAME': 'shop'}}\n",
    )
    analysis = analyze(root)
    assert analysis.database is None
    notices = [str(n) for n in analysis.notices if "database" in str(n).lower()]
    assert notices == [
        f"DATABASES['default'] in {root / 'proj/settings.py'}: djmig reads SQLite and "
        "PostgreSQL databases, not 'django.db.backends.mysql'"
    ]


def test_environment_database_url_comes_before_the_settings(project: Path):
    config = load_pyproject(project)[0]
    target = db.resolve_target(config, discover(project, config), {"DATABASE_URL": "x.db"})
    assert (target.vendor, target.name, target.source) == (
        "sqlite",
        str(project / "x.db"),
        "DATABASE_URL",
    )
    target = db.resolve_target(config, discover(project, config), {})
    assert target.name == str(project / "db.sqlite3")
    assert target.source.startswith("DATABASES['default'] in ")


def test_postgres_urls_and_settings_are_read_without_the_password(tmp_path: Path):
    target = from_url(
        "postgres://app:s3cr%40t@db.example:6543/shop?sslmode=require&currentSchema=tenant",
        tmp_path,
        "DATABASE_URL",
    )
    assert (target.user, target.password, target.host, target.port, target.name) == (
        "app", "s3cr@t", "db.example", "6543", "shop",
    )  # fmt: skip
    assert dict(target.options) == {"sslmode": "require", "options": "-c search_path=tenant"}
    assert "s3cr" not in target.describe() and "s3cr" not in repr(target)
    socket_dir = from_url("postgresql://%2Fvar%2Frun%2FPG/shop", tmp_path, "x")
    assert socket_dir.host == "/var/run/PG"
    root = make_project(
        tmp_path,
        {"shop/migrations/__init__.py": "", "shop/migrations/0001_initial.py": migration()},
        extra_settings="""\
            import os
            DATABASES = {"default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": os.environ.get("DB_NAME", "shop"),
                "USER": "app", "PASSWORD": "never-read", "HOST": "localhost", "PORT": 5433,
                "OPTIONS": {"sslmode": "disable", "options": "-c search_path=tenant"},
            }}
        """,
    )
    config = load_pyproject(root)[0]
    target = db.resolve_target(config, discover(root, config), {})
    assert (target.name, target.user, target.host, target.port, target.password) == (
        "shop", "app", "localhost", "5433", None,
    )  # fmt: skip
    assert dict(target.options) == {"sslmode": "disable", "options": "-c search_path=tenant"}


# -- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_projects(
    postgres: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path]]:
    """Two migrated projects on the cluster: one in the ``public`` schema, one whose
    ``OPTIONS`` put everything in schema ``tenant`` (``search_path``)."""
    plain = postgres.create_database()
    tenant = postgres.create_database()
    with postgres.connect(tenant) as connection:
        connection.execute("CREATE SCHEMA tenant")
    roots = []
    for dbname, options in ((plain, ""), (tenant, "-c search_path=tenant")):
        settings = postgres.django_settings(dbname)
        if options:
            settings = settings.replace("}}", f", 'OPTIONS': {{'options': {options!r}}}}}}}")
        root = make_project(tmp_path_factory.mktemp("pg"), FILES, extra_settings=settings)
        code, output = django_migrate(root)
        assert code == 0, output
        roots.append(root)
    yield roots[0], roots[1]


def pg_execute(root: Path, *statements: str) -> None:
    config = load_pyproject(root)[0]
    target = db.resolve_target(config, discover(root, config), {})
    with psycopg.connect(
        host=target.host, port=target.port, user=target.user, dbname=target.name,
        options=target.options.get("options", ""), autocommit=True,
    ) as connection:  # fmt: skip
        for statement in statements:
            connection.execute(statement.replace("'2026-11-30 14:02:00'", "now()"))


def test_postgres_inconsistent_history_and_missing_file_advice_repair_it(pg_projects):
    root, _ = pg_projects
    pg_execute(root, delete_rows("shop", "0001_initial"), insert_row("news", "0002_gone"))
    analysis = agree_with_django(root)
    assert analysis.database is not None and analysis.database.vendor == "postgresql"
    (inconsistent,) = codes(analysis, "DM501")
    (missing,) = codes(analysis, "DM502")
    assert "PostgreSQL database" in inconsistent.message
    for command in commands(inconsistent.message) + commands(missing.message)[:1]:
        code, output = run_advice(root, command)
        assert code == 0, output
    assert django_migrate(root)[0] == 0
    assert not [f for f in agree_with_django(root).findings if f.code.startswith("DM5")]


def test_postgres_search_path_tables_exist_unrecorded_advice_repairs_it(pg_projects):
    _, root = pg_projects
    pg_execute(root, delete_rows("legacy"))
    code, output = django_migrate(root)
    assert code != 0 and "already exists" in output
    analysis = agree_with_django(root)
    (finding,) = codes(analysis, "DM503")
    (command,) = commands(finding.message)
    assert run_advice(root, command)[0] == 0
    assert django_migrate(root)[0] == 0
    assert not codes(agree_with_django(root), "DM503")


def test_postgres_connection_is_read_only(pg_projects):
    root, _ = pg_projects
    config = load_pyproject(root)[0]
    target = db.resolve_target(config, discover(root, config), {})
    connection = pg_reader.connect(target, 5)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute(delete_rows("shop"))
        connection.rollback()
        connection.autocommit = True  # the session default is read-only too
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute("CREATE TABLE intruder (id integer)")
    finally:
        connection.close()


def test_postgres_database_without_django_migrations(postgres: Cluster, tmp_path: Path):
    dbname = postgres.create_database()
    state = db.read_database(
        from_url(f"postgresql://postgres@{quote_dir(postgres)}/{dbname}", tmp_path, "x")
    )
    assert state.applied == {} and not state.has_table


def quote_dir(cluster: Cluster) -> str:
    return str(cluster.socket_dir).replace("/", "%2F") + f":{cluster.port}"


@pytest.fixture(scope="module")
def password_role(postgres: Cluster) -> Iterator[str]:
    """A role that must give its password (``scram-sha-256``; everyone else is trusted)."""
    with postgres.connect() as connection:
        connection.execute("CREATE ROLE djmig_pw LOGIN PASSWORD 'right-horse'")
        hba = Path(connection.execute("SHOW hba_file").fetchone()[0])
        original = hba.read_text()
        hba.write_text("local all djmig_pw scram-sha-256\n" + original)
        connection.execute("SELECT pg_reload_conf()")
    try:
        yield "djmig_pw"
    finally:
        hba.write_text(original)
        with postgres.connect() as connection:
            connection.execute("SELECT pg_reload_conf()")


def test_postgres_wrong_password_is_one_message_without_the_password(
    postgres: Cluster, password_role: str, tmp_path: Path
):
    base = f"postgresql://{password_role}:{{}}@{quote_dir(postgres)}/postgres"
    assert db.read_database(from_url(base.format("right-horse"), tmp_path, "x")).vendor
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:{password_role}:right-horse\n")
    passfile.chmod(0o600)
    without = f"postgresql://{password_role}@{quote_dir(postgres)}/postgres?passfile={passfile}"
    assert db.read_database(from_url(without, tmp_path, "x")).vendor == "postgresql"
    target = from_url(base.format("wrong-battery"), tmp_path, "x")
    with pytest.raises(DatabaseUnavailable) as raised:
        db.read_database(target)
    message = str(raised.value)
    assert "password authentication failed" in message
    assert "wrong-battery" not in message and "\n" not in message
    assert message.startswith(
        f"cannot connect to PostgreSQL database 'postgres' on {postgres.socket_dir}"
    )


def test_postgres_server_that_never_answers_times_out_once(tmp_path: Path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        target = from_url(f"postgresql://app@127.0.0.1:{port}/shop", tmp_path, "x")
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(db.read_database, target, 2)
            with pytest.raises(DatabaseUnavailable, match="timeout"):
                future.result(timeout=60)
    finally:
        listener.close()


def test_postgres_unreachable_host_is_one_message(tmp_path: Path):
    target = from_url(
        f"postgresql://app@{tmp_path.as_posix().replace('/', '%2F')}/shop", tmp_path, "x"
    )
    with pytest.raises(DatabaseUnavailable) as raised:
        db.read_database(target, 2)
    assert str(raised.value).startswith("cannot connect to PostgreSQL database 'shop' on ")
    assert "No such file or directory" in str(raised.value)


def test_refresh_interval_option_is_validated():
    config, errors = merge(load_pyproject(Path("/nonexistent"))[0], {"databaseRefreshInterval": 30})
    assert config.database_refresh_interval == 30 and not errors
    config, errors = merge(config, {"database_refresh_interval": -1})
    assert config.database_refresh_interval == 30
    assert errors == [
        "option 'database_refresh_interval': expected a number of seconds (0: on demand only); "
        "using the default"
    ]


USER = (
    'migrations.CreateModel("User", [("id", models.AutoField(primary_key=True)), '
    '("password", models.CharField(max_length=128))])'
)


def test_admin_applied_before_a_custom_user_model_is_reported_on_its_first_migration(
    tmp_path: Path,
):
    root = make_project(
        tmp_path,
        {
            "accounts/models.py": "from django.contrib.auth.models import AbstractUser\n\n\n"
            "class User(AbstractUser):\n    pass\n",
            "accounts/migrations/__init__.py": "",
            "accounts/migrations/0001_initial.py": migration(initial=True, ops=USER),
        },
        installed_apps=[
            "django.contrib.contenttypes", "django.contrib.auth", "django.contrib.admin",
            "accounts",
        ],
    )  # fmt: skip
    code, output = django_migrate(root, "admin", "--skip-checks")
    assert code == 0, output
    settings = root / "proj/settings.py"
    settings.write_text(settings.read_text() + 'AUTH_USER_MODEL = "accounts.User"\n')
    verdict = db_verdict(root)
    sentence = "Migration admin.0001_initial is applied before its dependency accounts.0001_initial"
    assert sentence in verdict["inconsistent"]
    (finding,) = codes(analyze(root), "DM501")
    assert finding.message.startswith(sentence)
    assert finding.path == root / "accounts/migrations/0001_initial.py"
    assert finding.span.start_line == line_of(finding.path, "class Migration")
    assert finding.related[0].path.name == "0001_initial.py"
    assert finding.related[0].path.parent.parent.name == "admin"


def test_a_new_read_replaces_the_applied_set_of_a_graph_without_squashes(project: Path):
    shutil.rmtree(project / "blog")
    shutil.rmtree(project / "news")
    settings = project / "proj/settings.py"
    settings.write_text(
        settings.read_text().replace("    'blog',\n", "").replace("    'news',\n", "")
    )
    config = load_pyproject(project)[0]
    workspace = Workspace(project, config)
    workspace.load()
    workspace.set_database(*db.load(config, workspace.project))
    assert not codes(workspace.analyze(), "DM503")
    assert not workspace.graph.replacements
    execute(project, delete_rows("legacy"))
    workspace.set_database(*db.load(config, workspace.project))
    assert MigrationKey("legacy", "0001_initial") not in workspace.graph.applied
    (finding,) = codes(workspace.analyze(), "DM503")
    assert finding.path == project / "legacy/migrations/0001_initial.py"
