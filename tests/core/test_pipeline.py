"""Pipeline: dependency order, one decode pass, skip finished work, resume after a kill."""

import subprocess
import sys
import textwrap

import pytest

from core.media.decode import FrameSpec, Sink
from core.errors import ClipDeskError
from core.pipeline import Stage, analyze, order_stages
from core.segments import Segment
from core.store import Project


class CountSink(Sink):
    def __init__(self, box):
        self.name, self.video, self.box = "count", FrameSpec(8, 8, fps=None), box

    def frame(self, index, time, image):
        self.box["n"] += 1


class Counting(Stage):
    name, version, tracks = "count", "1", ("count",)
    decodes = 0

    def sinks(self, ctx):
        type(self).decodes += 1
        self.box = {"n": 0}
        return [CountSink(self.box)]

    def finish(self, ctx):
        ctx.project.replace_machine_segments(ctx.video.id, "count", [Segment(
            "count", 0, ctx.video.frame_count, label=str(self.box["n"]), source=self.source)], ctx.run_id)


class After(Stage):
    name, version, requires = "after", "1", ("count",)

    def finish(self, ctx):
        n = ctx.project.segments(ctx.video.id, "count")[0].label
        ctx.project.replace_machine_segments(ctx.video.id, "after", [Segment("after", 0, 1, label=n)], ctx.run_id)


def test_order_and_unknown():
    stages = [After(), Counting()]
    assert [s.name for s in order_stages(stages, ["after"])] == ["count", "after"]
    with pytest.raises(ClipDeskError, match="unknown stage"):
        order_stages(stages, ["nope"])


def test_analyze_runs_once_then_skips(project, make_video):
    p = make_video(frames=30)
    Counting.decodes = 0
    stages = order_stages([Counting(), After()], None)
    r1 = analyze(project, p, stages)
    assert r1.ran == ["count", "after"] and r1.video.exact and r1.video.frame_count == 30
    assert project.segments(r1.video.id, "after")[0].label == "30"
    r2 = analyze(project, p, stages)
    assert r2.ran == [] and r2.skipped == ["count", "after"] and Counting.decodes == 1
    assert [r.status for r in project.runs()] == ["done", "done"]


def test_failure_marks_run_and_keeps_project(project, make_video):
    p = make_video(frames=30)

    class Broken(Stage):
        name, requires = "broken", ("count",)

        def finish(self, ctx):
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError):
        analyze(project, p, order_stages([Counting(), Broken()], None))
    runs = {r.stage: r.status for r in project.runs()}
    assert runs == {"count": "done", "broken": "failed"}
    assert len(project.segments(1, "count")) == 1


def test_resume_after_kill(tmp_path, make_video):
    """A process killed (SIGKILL) mid-analysis leaves a consistent project; a rerun finishes it."""
    video = make_video(frames=40)
    proj = tmp_path / "k.clipdesk"
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from core.pipeline import Stage, analyze, order_stages
        from core.segments import Segment
        from core.store import Project
        class First(Stage):
            name = "first"
            def finish(self, ctx):
                ctx.project.replace_machine_segments(ctx.video.id, "first", [Segment("first", 0, 5)], ctx.run_id)
        class Second(Stage):
            name, requires = "second", ("first",)
            def finish(self, ctx):
                if os.environ.get("KILL"):
                    with ctx.project.transaction():
                        ctx.project.insert_segment(ctx.video.id, Segment("second", 0, 1))
                        os.kill(os.getpid(), signal.SIGKILL)  # dies inside an open transaction
                ctx.project.replace_machine_segments(ctx.video.id, "second", [Segment("second", 0, 7)], ctx.run_id)
        p = Project({str(proj)!r})
        r = analyze(p, {str(video)!r}, order_stages([First(), Second()], None))
        print("ran", ",".join(r.ran), "skipped", ",".join(r.skipped))
    """)
    killed = subprocess.run([sys.executable, "-c", script], env={"KILL": "1", "PATH": ""},
                            capture_output=True, text=True, cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert killed.returncode == -9
    with Project(proj) as p:
        assert {r.stage: r.status for r in p.runs()} == {"first": "done", "second": "running"}
        assert p.segments(1, "second") == []  # the open transaction was rolled back
    rerun = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           cwd=str(__import__("pathlib").Path(__file__).parents[2]))
    assert rerun.returncode == 0, rerun.stderr
    assert "ran second skipped first" in rerun.stdout
    with Project(proj) as p:
        statuses = [(r.stage, r.status) for r in p.runs()]
        assert ("second", "failed") in statuses and statuses[-1] == ("second", "done")
        assert [s.end_frame for s in p.segments(1, "second")] == [7]


def test_order_follows_pipeline_not_typing():
    class Late(Stage):
        name = "late"

    stages = [Counting(), After(), Late()]
    assert [s.name for s in order_stages(stages, ["late", "after"])] == ["count", "after", "late"]


def test_dependents_rerun_when_a_requirement_reruns(project, make_video):
    p = make_video(frames=20)

    class Versioned(Counting):
        version = "1"

    analyze(project, p, order_stages([Versioned(), After()], None))
    Versioned.version = "2"  # e.g. a retrained model: its dependents must not keep stale results
    r = analyze(project, p, order_stages([Versioned(), After()], None))
    assert r.ran == ["count", "after"]
    r = analyze(project, p, order_stages([Versioned(), After()], ["after"]))
    assert r.ran == [] and r.skipped == ["count", "after"]
    # the requirement alone re-run (--force) makes the dependent stale on the next analyze
    analyze(project, p, order_stages([Versioned(), After()], ["count"]), force=True)
    r = analyze(project, p, order_stages([Versioned(), After()], ["after"]))
    assert r.ran == ["after"]
