"""djmig on real projects, against Django on the same projects.

    python bench/realworld.py [--corpus wagtail|oscar|cms|misc|all] [--work DIR]

Each corpus is a Django project installing popular packages from PyPI (versions pinned) in
a virtual environment of its own, with a small app of its own whose migration real
``makemigrations`` writes; ``migrate`` runs on SQLite and ``makemigrations --check`` must
find nothing. Then, for each corpus:

* **graph**: djmig's graph (the packages read from site-packages) must have the nodes and
  leaves of Django's ``MigrationLoader`` (packages that hide their migrations at run time,
  django-debug-toolbar, are listed apart);
* **precision**: with the packages' code copied into the workspace, so that their
  migrations are read as the project's own, ``djmig check`` must report nothing at error
  level and no DM401 (``makemigrations --check`` found nothing);
* **states**: the model states djmig replays must equal Django's ``ProjectState`` before
  every migration of those apps, for every model djmig is sure of.

Needs the network (PyPI) and a few minutes per corpus; not part of ``make test``. Exits 1
when any check fails. Results of a run are in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "server"), str(REPO / "tests")]

from djmig.analysis import Workspace  # noqa: E402
from djmig.keys import MigrationKey  # noqa: E402
from djmig.state import AppState  # noqa: E402

DJANGO = "django==5.2.19"


@dataclass
class Corpus:
    packages: str  # pip requirements, space-separated
    apps: str  # INSTALLED_APPS entries after the project's own app, space-separated
    settings: str = ""
    models: str = ""
    middleware: tuple[str, ...] = ()
    #: Packages copied into the workspace besides those of ``apps`` (their dependencies).
    also_vendored: tuple[str, ...] = ()

    @property
    def vendored(self) -> list[str]:
        """The top-level packages whose code is copied into the workspace."""
        tops = [a.split(".")[0] for a in self.apps.split() if not a.startswith("django.")]
        return sorted({*tops, *self.also_vendored})


OSCAR_APPS = " ".join(
    f"oscar.apps.{app}.apps.{config}Config"
    for app, config in [
        ("analytics", "Analytics"), ("checkout", "Checkout"), ("address", "Address"),
        ("shipping", "Shipping"), ("catalogue", "Catalogue"),
        ("catalogue.reviews", "CatalogueReviews"), ("communication", "Communication"),
        ("partner", "Partner"), ("basket", "Basket"), ("payment", "Payment"),
        ("offer", "Offer"), ("order", "Order"), ("customer", "Customer"), ("search", "Search"),
        ("voucher", "Voucher"), ("wishlists", "Wishlists"), ("dashboard", "Dashboard"),
        *((f"dashboard.{d}", f"{d.capitalize()}Dashboard") for d in (
            "reports", "users", "orders", "catalogue", "offers", "partners", "pages", "ranges",
            "reviews", "vouchers", "communications", "shipping")),
    ]
)  # fmt: skip
OAUTH_MODELS = "".join(
    f'OAUTH2_PROVIDER_{setting}_MODEL = "oauth2_provider.{model}"\n'
    for setting, model in [("APPLICATION", "Application"), ("ACCESS_TOKEN", "AccessToken"),
                           ("REFRESH_TOKEN", "RefreshToken"), ("ID_TOKEN", "IDToken"),
                           ("GRANT", "Grant")]
)  # fmt: skip
ACCOUNT_MIDDLEWARE = ("allauth.account.middleware.AccountMiddleware",)

CORPORA = {
    "wagtail": Corpus(
        "wagtail==8.0.1 django-allauth==65.22.1 django-celery-beat==2.9.0 "
        "django-simple-history==3.13.0 django-reversion==6.4.0 django-guardian==3.5.2 "
        "django-otp==1.7.5 django-taggit==6.1.0",
        "wagtail.contrib.forms wagtail.contrib.redirects wagtail.contrib.settings "
        "wagtail.contrib.search_promotions wagtail.contrib.simple_translation wagtail.embeds "
        "wagtail.sites wagtail.users wagtail.snippets wagtail.documents wagtail.images "
        "wagtail.search wagtail.admin wagtail.locales wagtail modelcluster taggit "
        "django.contrib.sites allauth allauth.account allauth.socialaccount allauth.mfa "
        "allauth.usersessions django_celery_beat simple_history reversion guardian django_otp "
        "django_otp.plugins.otp_totp django_otp.plugins.otp_static django_otp.plugins.otp_hotp "
        "django_otp.plugins.otp_email",
        'SITE_ID = 1\nWAGTAIL_SITE_NAME = "x"\nWAGTAILADMIN_BASE_URL = "http://x"\n',
        "from django.db import models\nfrom wagtail.fields import RichTextField\n"
        "from wagtail.models import Page\n\n\nclass HomePage(Page):\n"
        "    body = RichTextField(blank=True)\n",
        ACCOUNT_MIDDLEWARE,
        ("modelsearch",),
    ),
    "oscar": Corpus(
        "django-oscar==4.2.1 dj-stripe==2.11.0 django-oauth-toolkit==3.4.1 "
        "djangorestframework==3.18.3 django-rest-knox django-axes django-auditlog django-waffle "
        "django-constance django-filer==3.6.0 django-q2 redis django-organizations "
        "django-push-notifications django-two-factor-auth django-comments-xtd "
        "django-celery-results django-silk django-mptt",
        f"django.contrib.sites django.contrib.flatpages oscar.config.Shop {OSCAR_APPS} "
        "widget_tweaks haystack treebeard django_tables2 djstripe oauth2_provider "
        "rest_framework rest_framework.authtoken knox axes auditlog waffle constance mptt "
        "easy_thumbnails filer silk django_q organizations push_notifications django_otp "
        "django_otp.plugins.otp_static django_otp.plugins.otp_totp two_factor "
        "django_comments_xtd django_comments django_celery_results",
        "SITE_ID = 1\n"
        'HAYSTACK_CONNECTIONS = {"default": {"ENGINE": '
        '"haystack.backends.simple_backend.SimpleEngine"}}\n'
        'DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"\nCOMMENTS_APP = "django_comments_xtd"\n'
        'Q_CLUSTER = {"name": "x", "orm": "default"}\n'
        'AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", '
        '"django.contrib.auth.backends.ModelBackend"]\n'
        "from oscar.defaults import *  # noqa\n" + OAUTH_MODELS,
        "from django.conf import settings\nfrom django.db import models\n\n\n"
        "class Purchase(models.Model):\n"
        "    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
        '    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT)\n',
    ),
    "cms": Corpus(
        "django-cms==5.1.3 djangocms-text djangocms-link djangocms-frontend "
        "djangocms-versioning djangocms-alias django-filer==3.6.0 django-parler "
        "django-import-export django-extensions django-anymail django-countries "
        "django-phonenumber-field django-mptt django-taggit==6.1.0 django-allauth==65.22.1 "
        "django-reversion==6.4.0 django-guardian==3.5.2 django-simple-history==3.13.0",
        "django.contrib.sites cms menus treebeard sekizai djangocms_text djangocms_link "
        "djangocms_frontend djangocms_versioning djangocms_alias reversion simple_history "
        "guardian allauth allauth.account parler taggit import_export django_extensions "
        "anymail django_countries phonenumber_field mptt filer easy_thumbnails",
        'SITE_ID = 1\nCMS_CONFIRM_VERSION4 = True\nCMS_TEMPLATES = [("base.html", "Base")]\n'
        'LANGUAGES = [("en", "English")]\n',
        "from django.db import models\nfrom cms.models import CMSPlugin\n\n\n"
        "class Teaser(CMSPlugin):\n    title = models.CharField(max_length=200)\n",
        ACCOUNT_MIDDLEWARE,
    ),
    "misc": Corpus(
        "social-auth-app-django django-activity-stream django-watson django-simple-captcha "
        "django-hijack django-cities-light django-flags django-post-office django-defender "
        "djangorestframework djangorestframework-simplejwt django-rest-passwordreset "
        "django-scheduler django-cookie-consent",
        "django.contrib.sites social_django actstream watson captcha hijack cities_light flags "
        "post_office defender rest_framework rest_framework_simplejwt.token_blacklist "
        "django_rest_passwordreset schedule cookie_consent",
        "SITE_ID = 1\n",
        "from django.conf import settings\nfrom django.db import models\n\n\n"
        "class Note(models.Model):\n"
        "    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
        "    text = models.TextField()\n",
    ),
    "community": Corpus(
        "django-helpdesk==2.6.1 wiki==0.13.0 django-machina==1.3.1 django-admin-interface==0.32.0 "
        "django-oidc-provider==0.9.0 django-dynamic-preferences==1.17.0 "
        "django-easy-audit==1.3.9 "
        "djangorestframework-api-key==3.1.0 django-health-check==4.8.0 "
        "django-polymorphic==4.11.7 django-photologue==3.20 django-sortedm2m==4.0.0",
        "django.contrib.sites django.contrib.humanize admin_interface colorfield helpdesk "
        "django_nyt mptt sekizai sorl.thumbnail wiki wiki.plugins.attachments "
        "wiki.plugins.notifications wiki.plugins.images wiki.plugins.macros haystack "
        "widget_tweaks machina machina.apps.forum machina.apps.forum_conversation "
        "machina.apps.forum_conversation.forum_attachments "
        "machina.apps.forum_conversation.forum_polls machina.apps.forum_feeds "
        "machina.apps.forum_moderation machina.apps.forum_search "
        "machina.apps.forum_tracking machina.apps.forum_member machina.apps.forum_permission "
        "oidc_provider dynamic_preferences dynamic_preferences.users.apps.UserPreferencesConfig "
        "easyaudit rest_framework rest_framework_api_key health_check "
        "polymorphic photologue sortedm2m",
        "SITE_ID = 1\n"
        'HAYSTACK_CONNECTIONS = {"default": {"ENGINE": '
        '"haystack.backends.simple_backend.SimpleEngine"}}\n'
        'DEFAULT_AUTO_FIELD = "django.db.models.AutoField"\n'
        'HELPDESK_TEAMS_MODEL = "auth.Group"\nHELPDESK_TEAMS_MIGRATION_DEPENDENCIES = '
        '[("auth", "0012_alter_user_first_name_max_length")]\n'
        'TEMPLATES[0]["OPTIONS"]["context_processors"].append('
        '"sekizai.context_processors.sekizai")\n',
        "from django.conf import settings\nfrom django.db import models\n"
        "from polymorphic.models import PolymorphicModel\n\n\n"
        "class Asset(PolymorphicModel):\n"
        "    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n"
        '    forum = models.ForeignKey("forum.Forum", null=True, on_delete=models.SET_NULL)\n',
        ("easyaudit.middleware.easyaudit.EasyAuditMiddleware",),
    ),
    "business": Corpus(
        "django-ledger==0.8.5 django-viewflow==2.4.0 django-fsm-log==5.0.2 fcm-django==3.2.0 "
        "django-background-tasks==1.2.8 "
        "django-friendship==1.12.0 django-invitations==2.1.0 drf-api-tracking==1.8.4 "
        "django-user-sessions==2.0.0 django-request==1.7.1 django-robots==6.1 "
        "django-sitetree==1.18.1 django-categories==2.0.0 django-summernote==0.8.20.0 "
        "django-mailer==2.3.2 django-allauth==65.22.1",
        "django.contrib.sites django.contrib.humanize django_ledger viewflow viewflow.workflow "
        "django_fsm_log fcm_django background_task friendship invitations "
        "rest_framework rest_framework_tracking user_sessions request robots sitetree "
        "categories categories.editor django_summernote mailer allauth allauth.account",
        'SITE_ID = 1\nDEFAULT_AUTO_FIELD = "django.db.models.AutoField"\n',
        "from django.conf import settings\nfrom django.db import models\n"
        "from django_ledger.models import EntityModel\n\n\n"
        "class Budget(models.Model):\n"
        "    entity = models.ForeignKey(EntityModel, on_delete=models.CASCADE)\n"
        "    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)\n",
        ACCOUNT_MIDDLEWARE,
    ),
}

#: Packages whose app config hides their migrations at run time (``MIGRATION_MODULES``).
HIDDEN_AT_RUN_TIME = {"debug_toolbar"}


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return done.stdout


def build(name: str, corpus: Corpus, work: Path) -> tuple[Path, Path]:
    """The corpus's virtual environment and project (made once, kept in ``work``)."""
    venv, project = work / f"{name}-venv", work / f"{name}-project"
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)], work)
    run([str(python), "-m", "pip", "install", "-q", DJANGO, *corpus.packages.split()], work)
    if not (project / ".built").exists():
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        run([str(venv / "bin" / "django-admin"), "startproject", "site_", "."], project)
        settings = project / "site_" / "settings.py"
        text = settings.read_text(encoding="utf-8")
        installed = "".join(f'    "{a}",\n' for a in ["mine", *corpus.apps.split()])
        text = text.replace("INSTALLED_APPS = [\n", "INSTALLED_APPS = [\n" + installed)
        middleware = "".join(f'    "{m}",\n' for m in corpus.middleware)
        text = text.replace("MIDDLEWARE = [\n", "MIDDLEWARE = [\n" + middleware)
        settings.write_text(text + "\n" + corpus.settings, encoding="utf-8")
        (project / "mine" / "migrations").mkdir(parents=True)
        (project / "mine" / "__init__.py").write_text("")
        (project / "mine" / "migrations" / "__init__.py").write_text("")
        (project / "mine" / "models.py").write_text(corpus.models, encoding="utf-8")
        (project / "pyproject.toml").write_text(f'[tool.djmig]\npython = "{python}"\n')
        run([str(python), "manage.py", "makemigrations", "mine"], project)
        run([str(python), "manage.py", "migrate", "--noinput"], project)
        (project / ".built").write_text("")
    run([str(python), "manage.py", "makemigrations", "--check", "--dry-run"], project)
    return python, project


def djmig(*args: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO / "server")}
    done = subprocess.run(
        [sys.executable, "-m", "djmig", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    return done.stdout


def oracle(python: Path, project: Path, script: str, *args: str) -> Any:
    """What a script of the tests' Django oracles prints after its marker, run with the
    corpus's interpreter in ``project``."""
    from django_oracle import MARKER

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "site_.settings", "PYTHONPATH": str(project)}
    out = run([str(python), "-c", script, MARKER, *args], project, env)
    line = next(line for line in out.splitlines() if line.startswith(MARKER))
    return json.loads(line[len(MARKER) :])


def loaded(project: Path) -> Workspace:
    workspace = Workspace(project)
    workspace.load()
    return workspace


def check_graph(python: Path, project: Path) -> list[str]:
    from django_oracle import LOADER_SCRIPT

    django = oracle(python, project, LOADER_SCRIPT)
    graph = loaded(project).graph
    # Apps with dependencies set at run time (simplejwt's token_blacklist sets them in
    # ``__init__``): djmig knows it cannot place them, and reports nothing on them.
    unsure = graph.uncertain_apps
    nodes = {(key.app_label, key.name) for key in graph.nodes}
    theirs = {tuple(n) for n in django["nodes"]}
    problems = [f"only Django has {a}.{n}" for a, n in sorted(theirs - nodes)]
    problems += [
        f"only djmig has {a}.{n}" for a, n in sorted(nodes - theirs) if a not in HIDDEN_AT_RUN_TIME
    ]
    excused = []
    for app, leaves in django["leaf_nodes"].items():
        found = sorted(key.name for key in graph.leaf_nodes(app))
        if found != sorted(leaves):
            (excused if app in unsure else problems).append(
                f"leaves of {app}: djmig {found}, Django {leaves}"
            )
    print(f"  graph: {len(theirs)} nodes in Django's loader, {len(problems)} differences")
    for difference in excused:
        print(f"    (not counted, the app's dependencies are not all known) {difference}")
    return problems


def vendor(python: Path, project: Path, corpus: Corpus, work: Path) -> Path:
    site = Path(
        run(
            [
                str(python),
                "-c",
                "import django, os; print(os.path.dirname(os.path.dirname(django.__file__)))",
            ],
            work,
        ).strip()
    )
    copy = Path(tempfile.mkdtemp(prefix="vendored-", dir=work))
    shutil.copytree(project, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns("db.sqlite3"))
    for package in corpus.vendored:
        if (site / package).is_dir():
            shutil.copytree(
                site / package, copy / package, ignore=shutil.ignore_patterns("*.pyc"),
                dirs_exist_ok=True,
            )  # fmt: skip
    return copy


def check_precision(copy: Path) -> list[str]:
    report = json.loads(djmig("check", ".", "--format", "json", "--exit-zero", cwd=copy) or "[]")
    findings = report if isinstance(report, list) else report.get("findings", [])
    errors = [f for f in findings if f.get("severity") == "error"]
    drift = [f for f in findings if f.get("code") == "DM401"]
    print(f"  precision: {len(findings)} findings on the vendored code, "
          f"{len(errors)} at error level, {len(drift)} DM401")  # fmt: skip
    return [f"{f['path']}:{f['line']}: {f['code']} {f['message'][:160]}" for f in errors + drift]


def check_states(python: Path, copy: Path) -> list[str]:
    from test_state import STATES_SCRIPT, djmig_dump

    workspace = loaded(copy)
    apps = [label for label, app in workspace.project.apps.items() if app.origin == "workspace"]
    expected = oracle(python, copy, STATES_SCRIPT, ",".join(apps))
    compared, problems = 0, []
    for node, models in expected.items():
        before = workspace.state.before(MigrationKey(*node.split(".", 1)))
        if before is None or before.uncertain:
            continue
        compared += 1
        for model in before.models.keys() | models.keys():
            state = before.models.get(model)
            mine = None
            if state is not None:
                # Uncertain, or a field of a third-party class (no known column): not compared.
                if state.uncertain or any(f.field is None for f in state.fields.values()):
                    continue
                mine = djmig_dump(AppState(before.app_label, {model: state}))[model]
                mine = json.loads(json.dumps(mine, default=str))
            if mine != models.get(model):
                problems.append(f"{node} {model}: djmig {mine}, Django {models.get(model)}")
    print(f"  states: {compared} nodes compared, {len(problems)} differences")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", choices=[*CORPORA, "all"], default="all")
    parser.add_argument("--work", type=Path, help="keep the venvs and projects here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="djmig-realworld-"))
    work.mkdir(parents=True, exist_ok=True)
    failed = False
    for name, corpus in CORPORA.items():
        if args.corpus not in (name, "all"):
            continue
        print(f"{name}:")
        python, project = build(name, corpus, work)
        problems = check_graph(python, project)
        copy = vendor(python, project, corpus, work)
        problems += check_precision(copy) + check_states(python, copy)
        for problem in problems[:20]:
            print(f"    {problem}")
        failed = failed or bool(problems)
    print(f"work directory: {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
