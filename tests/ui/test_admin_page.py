"""The Admin page is for admins only; admins manage roles there."""

from __future__ import annotations

from core.auth.service import get_user
from core.db.session import session_scope
from tests.ui.conftest import error_texts, open_page

PAGE = "pages/6_Admin.py"


def test_a_viewer_cannot_reach_admin(viewer):
    at = open_page(PAGE, viewer)
    assert not at.exception
    assert error_texts(at) == ["This page is for the admin role; you are logged in as viewer."]
    assert not at.tabs and not at.dataframe and not at.get("form")


def test_an_analyst_cannot_reach_admin(empty_user):
    at = open_page(PAGE, empty_user)
    assert "This page is for the admin role" in error_texts(at)[0]
    assert not at.dataframe


def test_a_role_granted_in_the_session_state_alone_is_not_trusted(viewer):
    # The role is re-read from the database: editing the session state cannot promote anyone.
    at = open_page(PAGE, viewer, user_role="admin")
    assert "This page is for the admin role" in error_texts(at)[0]


def test_an_admin_sees_users_and_jobs_and_changes_a_role(ui_settings, admin, viewer):
    at = open_page(PAGE, admin)
    assert not at.exception and not error_texts(at)
    assert [tab.label for tab in at.tabs] == ["Users and roles", "Jobs"]
    assert viewer.email in at.dataframe[0].value["email"].tolist()
    assert {button.key for button in at.button} >= {"run_refresh_prices", "run_retrain"}
    users = at.selectbox(key="admin_user")
    at = users.select(next(o for o in users.options if o.startswith(viewer.email))).run()
    at.selectbox(key=f"admin_role_{viewer.user_id}").select("analyst")
    at = next(b for b in at.button if b.label == "Save").click().run()
    assert not error_texts(at)
    assert at.success[0].value == f"{viewer.email} is now analyst."
    with session_scope(ui_settings) as session:
        assert get_user(session, user_id=viewer.user_id).role.value == "analyst"


def test_the_admin_link_is_shown_to_admins_only(admin, viewer):
    def links(user) -> list[str]:
        return [link.proto.label for link in open_page("app.py", user).sidebar.get("page_link")]

    assert "Admin" in links(admin)
    assert "Admin" not in links(viewer) and "Portfolio" in links(viewer)


def _wait_finished(settings, run_id: int, timeout: float = 60.0):
    import time

    from core.jobs.service import get_job_run

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(settings) as session:
            run = get_job_run(session, actor=None, run_id=run_id)
        if run.finished_at is not None:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def test_run_now_shows_the_run_at_once_then_what_it_did(ui_settings, admin):
    at = open_page(PAGE, admin)
    at = at.button(key="run_refresh_prices").click().run()
    assert not at.exception and not error_texts(at)
    run_id = at.session_state["admin_watched_run"]
    panel = next(m.value for m in at.markdown if "run #" in m.value)
    assert f"**Refresh prices** · run #{run_id}" in panel  # shown before any Refresh click
    assert run_id in at.dataframe[-1].value["id"].tolist()

    finished = _wait_finished(ui_settings, run_id)
    at.run()
    assert finished.status.value == "succeeded" and finished.summary
    assert f"run #{run_id} · **succeeded**" in " ".join(m.value for m in at.markdown)
    assert finished.summary in [m.value for m in at.markdown]
    runs = at.dataframe[-1].value
    row = runs[runs["id"] == run_id].iloc[0]
    assert row["summary"] == finished.summary
    assert row["duration_seconds"] == f"{finished.duration_seconds:,.1f} s"


def test_a_failed_run_shows_its_message(ui_settings, admin):
    from core.db.tables import JobRun, JobStatus, utcnow

    with session_scope(ui_settings) as session:
        run = JobRun(
            job="retrain",
            args={},
            status=JobStatus.FAILED,
            triggered_by="test",
            finished_at=utcnow(),
            error="NotFoundError: no prices stored for ticker 'ZZZZ'",
        )
        session.add(run)
        session.flush()
        run_id = run.id
    at = open_page(PAGE, admin, admin_watched_run=run_id)
    assert "NotFoundError: no prices stored for ticker 'ZZZZ'" in error_texts(at)
    assert f"run #{run_id} · **failed**" in " ".join(m.value for m in at.markdown)
