"""``mlscan comment``: post or update the sticky pull-request / merge-request comment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from .body import GITHUB_LIMIT, GITLAB_LIMIT, assemble, marker, sanitize

MAX_INPUT_BYTES = 1 << 20


def _say(msg: str) -> None:
    click.echo(f"mlscan: {msg}", err=True)


def _read_section(path: str, untrusted: bool, max_bytes: int) -> str:
    p = Path(path)
    try:
        if untrusted and p.is_symlink():
            raise click.UsageError(f"{path}: a symlink; an untrusted body must be a regular file")
        size = p.stat().st_size
        if size > max_bytes:
            raise click.UsageError(f"{path}: {size} bytes, over the {max_bytes}-byte limit for a comment body")
        text = p.read_bytes().decode("utf-8", "replace")
    except OSError as e:
        raise click.UsageError(f"cannot read {path}: {e.strerror}") from None
    return sanitize(text) if untrusted else text


def _event_number() -> int | None:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for key in ("pull_request", "issue"):
        n = (event.get(key) or {}).get("number")
        if isinstance(n, int):
            return n
    return None


@click.command("comment")
@click.option("--body", "bodies", multiple=True, required=True, metavar="FILE",
              help="Markdown section (e.g. mlscan diff -f markdown); repeatable: one section per subproject.")
@click.option("--provider", type=click.Choice(["auto", "github", "gitlab"]), default="auto", show_default=True,
              help="auto: gitlab when GITLAB_CI is set, else github.")
@click.option("--repo", metavar="OWNER/NAME", help="GitHub repository (default: GITHUB_REPOSITORY) or GitLab project id/path (default: CI_PROJECT_ID).")
@click.option("--pr", "number", type=click.IntRange(min=1), help="Pull-request number / merge-request IID (default: from GITHUB_EVENT_PATH or CI_MERGE_REQUEST_IID).")
@click.option("--pr-head", metavar="OWNER:BRANCH", help="Find the open pull request by its head through the API (workflow_run: never trust a number from an artifact).")
@click.option("--pr-head-sha", metavar="SHA", help="With --pr-head: the pull request's head commit must be this one.")
@click.option("--id", "comment_id", default="mlscan", show_default=True, help="Marker id: one sticky comment per id and pull request.")
@click.option("--author", help="Login whose comment is the sticky one (default: the token's own; github-actions[bot] for GITHUB_TOKEN).")
@click.option("--token-env", metavar="NAME", help="Environment variable holding the token (default: GITHUB_TOKEN, GH_TOKEN; GitLab: GITLAB_TOKEN, else CI_JOB_TOKEN).")
@click.option("--api-url", help="API base URL (default: GITHUB_API_URL or https://api.github.com; GitLab: CI_API_V4_URL).")
@click.option("--report-url", metavar="URL", help="Link to the full report, shown where the body is cut to the size limit.")
@click.option("--title", default="## mlscan: ML maturity", show_default=True, help="Heading above the sections; '' for none (a body from 'mlscan check' has it).")
@click.option("--untrusted", is_flag=True, help="The body is untrusted data (e.g. a fork's artifact): size-limited, a regular file, Markdown only.")
@click.option("--max-input-bytes", type=click.IntRange(min=1), default=MAX_INPUT_BYTES, show_default=True, help="Largest accepted body file.")
@click.option("--write-body", metavar="FILE", help="Also write the final comment body to FILE (written even when posting fails).")
@click.option("--dry-run", is_flag=True, help="Build the body, do not call the API.")
def comment_cmd(bodies: tuple[str, ...], provider: str, repo: str | None, number: int | None, pr_head: str | None, pr_head_sha: str | None,
                comment_id: str, author: str | None, token_env: str | None, api_url: str | None, report_url: str | None, title: str, untrusted: bool,
                max_input_bytes: int, write_body: str | None, dry_run: bool) -> None:
    """Post the sticky comment on a pull request (GitHub) or merge request (GitLab): one comment per
    pull request and --id, found by its hidden marker and its author on every page, edited in place,
    created only when absent, left alone when unchanged, cut to the platform's size limit.

    The token comes from the environment only. A token that may not comment (403: a pull request from
    a fork gets a read-only token) is reported and exits 0: use the two-workflow setup (README).
    Exit codes: 0 posted, unchanged or not allowed; 2 usage error; 3 the API failed.
    """
    env = os.environ
    if provider == "auto":
        provider = "gitlab" if env.get("GITLAB_CI") else "github"
    limit = GITLAB_LIMIT if provider == "gitlab" else GITHUB_LIMIT
    sections = [_read_section(b, untrusted, max_input_bytes) for b in bodies]
    text = assemble(sections, comment_id=comment_id, limit=limit, report_url=report_url, title=title)
    if write_body:
        try:
            Path(write_body).write_text(text, encoding="utf-8")
        except OSError as e:
            raise click.UsageError(f"cannot write {write_body}: {e.strerror}") from None
    if dry_run:
        click.echo(text, nl=False)
        return

    code = post_comment(text, provider=provider, repo=repo, number=number, comment_id=comment_id, author=author, token_env=token_env,
                        api_url=api_url, pr_head=pr_head, pr_head_sha=pr_head_sha, body_file=write_body)
    if code:
        sys.exit(code)


def post_comment(text: str, *, provider: str, repo: str | None = None, number: int | None = None, comment_id: str = "mlscan",
                 author: str | None = None, token_env: str | None = None, api_url: str | None = None, pr_head: str | None = None,
                 pr_head_sha: str | None = None, body_file: str | None = None) -> int:
    """Upsert ``text`` as the sticky comment; messages on stderr; 0 done or not allowed, 3 the API failed."""
    from .comment import GitHub, GitLab, upsert
    from .http import ApiError, Client

    env = os.environ
    client: Client | None = None
    if provider == "gitlab":
        names = [token_env] if token_env else ["GITLAB_TOKEN", "CI_JOB_TOKEN"]
    else:
        names = [token_env] if token_env else ["GITHUB_TOKEN", "GH_TOKEN"]
    name = next((n for n in names if env.get(n)), None)
    if name is None:
        raise click.UsageError(f"no token: set {' or '.join(names)}")
    token = env[name]
    try:
        if provider == "gitlab":
            header = ("JOB-TOKEN", token) if name == "CI_JOB_TOKEN" else ("PRIVATE-TOKEN", token)
            base = api_url or env.get("CI_API_V4_URL") or "https://gitlab.com/api/v4"
            client = Client(base, header)
            project = repo or env.get("CI_PROJECT_ID")
            iid = number or (int(env["CI_MERGE_REQUEST_IID"]) if env.get("CI_MERGE_REQUEST_IID", "").isdigit() else None)
            if not project or not iid:
                raise click.UsageError("no merge request: pass --repo and --pr (or run in a merge-request pipeline)")
            platform: GitHub | GitLab = GitLab(client, project, iid)
            who = author or env.get("GITLAB_USER_LOGIN") if name == "CI_JOB_TOKEN" else author
        else:
            base = api_url or env.get("GITHUB_API_URL") or "https://api.github.com"
            client = Client(base, ("Authorization", f"Bearer {token}"),
                            {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"})
            repo = repo or env.get("GITHUB_REPOSITORY")
            if not repo or repo.count("/") != 1:
                raise click.UsageError("no repository: pass --repo OWNER/NAME (or set GITHUB_REPOSITORY)")
            gh_number = number
            if gh_number is None and pr_head:
                gh_number = GitHub(client, repo, 0).find_pr(pr_head, pr_head_sha)
                if gh_number is None:
                    _say(f"no open pull request with head {pr_head}" + (f" at {pr_head_sha[:12]}" if pr_head_sha else "") + "; nothing to comment on")
                    return 0
            gh_number = gh_number or _event_number()
            if not gh_number:
                raise click.UsageError("no pull request: pass --pr or --pr-head (or run on a pull_request event)")
            platform = GitHub(client, repo, gh_number)
            who = author
        out = upsert(platform, text, marker(comment_id), who)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    except ApiError as e:
        message = client.redact(str(e)) if client is not None else str(e)
        if e.status in (401, 403, 404):
            _say(f"cannot comment ({message}): the token may not write to this pull request. A pull request from a fork "
                 "gets a read-only token: post from a workflow_run workflow (see the README). The body was still written"
                 + (f" to {body_file}" if body_file else "") + ".")
            return 0
        _say(f"{platform_name(provider)} API failed: {message}")
        return 3
    where = f": {out.url}" if out.url else ""
    _say(f"comment {out.action} (id {out.id}){where}")
    return 0


def platform_name(provider: str) -> str:
    return "GitLab" if provider == "gitlab" else "GitHub"


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--base", metavar="REF", help="Base ref to compare with (default: the pull request's base commit from GITHUB_EVENT_PATH, "
              "or CI_MERGE_REQUEST_DIFF_BASE_SHA); none: a plain scan.")
@click.option("--framework", "frameworks", multiple=True, help="Rule pack(s) to score with; repeatable.")
@click.option("--fail-under", type=click.Choice(["L1", "L2", "L3", "L4"]), help="Exit 1 when a subproject's level is below this.")
@click.option("--fail-on-regression", is_flag=True, help="Exit 1 when a level or an answer got worse.")
@click.option("--comment/--no-comment", "do_comment", default=False, show_default=True, help="Post the sticky comment (pull requests only).")
@click.option("--comment-id", default="mlscan", show_default=True, help="Marker id of the sticky comment.")
@click.option("--sarif/--no-sarif", default=True, show_default=True, help="Write a SARIF log per subproject (automationDetails.id mlscan/SUBDIR/).")
@click.option("--out-dir", type=click.Path(file_okay=False), help="Where the reports go (default: $RUNNER_TEMP/mlscan); written after every PATH was scanned.")
@click.option("--report-url", metavar="URL", help="Link to the full reports (e.g. the run's artifacts page), shown where evidence is cut.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=True, help="Worker processes per scan.")
def check_cmd(paths: tuple[str, ...], base: str | None, frameworks: tuple[str, ...], fail_under: str | None, fail_on_regression: bool,
              do_comment: bool, comment_id: str, sarif: bool, out_dir: str | None, report_url: str | None, jobs: int) -> None:
    """The pull-request check (what the GitHub Action runs): for each PATH (default: .), the diff
    from the base to the work tree, reports (JSON, Markdown, SARIF with a category per subproject),
    the job summary ($GITHUB_STEP_SUMMARY), the step outputs ($GITHUB_OUTPUT), the sticky comment
    (--comment), then the gates. Exit codes: 0 done, 1 a gate failed, 2 usage error, 3 the scan or
    the API failed.
    """
    from ..engine import ScanOptions
    from ..errors import MlscanError
    from .body import assemble
    from .check import default_out_dir, event_base, outputs, run_project, write_outputs

    env = os.environ
    try:
        out = Path(out_dir) if out_dir else default_out_dir()
        event_sha, number = event_base()
        base = base or event_sha
        options = ScanOptions(frameworks=frameworks or ("checklist20",), jobs=jobs)
        results = [run_project(p, base, options, out, report_url, sarif) for p in (paths or (".",))]
        for r in results:
            r.write()
    except OSError as e:
        click.echo(f"mlscan: error: cannot write the reports: {e}", err=True)
        sys.exit(2)
    except MlscanError as e:
        click.echo(f"mlscan: error: {e}", err=True)
        sys.exit(e.exit_code)
    provider = "gitlab" if env.get("GITLAB_CI") else "github"
    limit = GITLAB_LIMIT if provider == "gitlab" else GITHUB_LIMIT
    text = assemble([r.section for r in results], comment_id=comment_id, limit=limit, report_url=report_url)
    comment_file = out / "comment.md"
    out.mkdir(parents=True, exist_ok=True)
    comment_file.write_text(text, encoding="utf-8")
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(text.split("\n", 1)[1] + "\n")  # without the marker line
    write_outputs(env.get("GITHUB_OUTPUT"), outputs(results, out, comment_file))
    for r in results:
        change = "" if r.level_change is None else f" ({'+' if r.level_change > 0 else ''}{r.level_change})"
        click.echo(f"{r.subdir or '.'}: L{r.level}{change}, {r.yes_count} yes; reports in {Path(r.files['report']).parent}")
    code = 0
    if do_comment:
        if number is None:
            _say("not a pull request or merge request: no comment")
        else:
            try:
                code = post_comment(text, provider=provider, number=number, comment_id=comment_id, body_file=str(comment_file))
            except click.UsageError as e:  # no token or repository: the reports and gates still count
                _say(f"cannot comment: {e.message}")
                code = 2
    failed = False
    regs = [f"{r.subdir or '.'}: {x}" for r in results for x in r.regressions]
    if fail_on_regression and regs:
        _say("regression: " + "; ".join(regs))
        failed = True
    if fail_under:
        for r in results:
            if r.level < int(fail_under[1:]):
                _say(f"{r.subdir or '.'}: level L{r.level} is below {fail_under}")
                failed = True
    if failed:
        sys.exit(1)
    if code:
        sys.exit(code)

