"""Events that need temporal context, fused from other stages' evidence, with an explanation.

Reads what other stages stored — score changes (``event`` segments labelled ``goal`` /
``score_change`` from the scoreboard stage), actions (``action`` track), the audio excitement
curve (``audio.excitement`` signal, optional) and replays (``scene`` segments labelled
``replay`` or stretches between two gradual transitions) — and writes ``event`` segments
labelled ``goal``, ``chance``, ``foul``, ``card`` or ``celebration``. Each carries
``attrs["why"]``: one readable line per signal that fired, and ``attrs["signals"]``: the kinds.
Confidence is a noisy-OR of the fired signals' weights. Any input may be missing.

The rules (``EventRules`` holds the windows):

* **goal** = a score change (needed), with the shot action before it, crowd/commentary
  excitement and a replay after it as further signals;
* **chance** = a shot action (``shot``, ``kick``, ...) with no score change, followed by
  excitement or a replay: a shot nobody reacted to stays an action, not an event;
* **celebration** = a celebration action after a goal (signal ``sequence``) or with excitement;
  with neither it is an action only. A goal followed by 3 s or more of sustained excitement and
  no celebration action gets a celebration from the sound alone;
* **foul** = a foul/tackle action with a reaction; **card** = a card action.

Only this module's own earlier output (source ``model:events@<version>``) is replaced on the
``event`` track; score events of the scoreboard stage are never touched. Pure functions plus a
:class:`EventsStage`; runs on the caller's / pipeline's thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.pipeline import Stage, StageContext
from core.segments import (ACTION, EVENT, PERSON, REJECTED, SCENE, SCOREBOARD, SHOT, SUGGESTED, TRANSITION, Segment,
                           model_source)
from core.store.project import Project
from core.timebase import FrameClock, clock

VERSION = "3"  # 2: a celebration needs a goal before it or excitement; 3: replays checked (no loop,
#  no compilation clip), a chance needs a sports shot (player, ball or board)
SOURCE = model_source("events", VERSION)
WEIGHTS = {"score": 0.85, "action": 0.5, "excitement": 0.4, "replay": 0.3, "sequence": 0.3}


@dataclass(frozen=True)
class EventRules:
    before_s: float = 15.0  # a score change is read from the board up to this long after the goal
    after_s: float = 25.0  # replays / celebrations follow within this
    excitement_peak: float = 0.7
    min_action_conf: float = 0.5
    shot_labels: tuple[str, ...] = ("shot_on_goal", "shot", "header", "volley", "kick", "goal")
    foul_labels: tuple[str, ...] = ("foul", "tackle", "yellow_card", "red_card", "card")
    celebration_labels: tuple[str, ...] = ("celebration", "celebrate")


@dataclass
class SportContext:
    """What tells a sports shot from any other, for one video: the actor's role from the persons
    stage (``player``: feet on a playing field), a ball seen near the action, a scoreboard on
    screen in the same shot. An action with none of them (the arm-wrestling demo, a film, a street)
    makes no chance. ``ball_frames`` is ``None`` when no ball track was stored."""

    roles: dict[int, str]
    ball_frames: np.ndarray | None
    boards: list[tuple[int, int]]
    shots: list[tuple[int, int]]

    def shot_of(self, frame: int) -> tuple[int, int]:
        return next(((a, b) for a, b in self.shots if a <= frame < b), (0, 1 << 40))

    def judge(self, a: Segment, fps: float) -> tuple[bool | None, str]:
        """(sports?, why): ``None`` when nothing is known (no roles, ball or boards stored)."""
        person = a.attrs.get("person")
        role = self.roles.get(int(person)) if isinstance(person, (int, float)) else None
        s0, s1 = self.shot_of(a.start_frame)
        if role == "player":
            return True, "a player on the field"
        # on screen in the shot itself, not a board of the shot before read a few frames past the cut
        least = max(1, min(int(0.5 * fps), (min(s1, 1 << 39) - s0) // 2))
        if any(min(b1, s1) - max(b0, s0) >= least for b0, b1 in self.boards):
            return True, "a scoreboard in the same shot"
        if self.ball_frames is not None:
            lo, hi = max(s0, a.start_frame - int(fps)), min(s1, a.end_frame + int(fps))
            if bool(((self.ball_frames >= lo) & (self.ball_frames < hi)).any()):
                return True, "the ball in play near it"
        if role is None and self.ball_frames is None and not self.boards:
            return None, "no persons, ball or scoreboard stored to judge by"
        return False, "no playing field, ball or scoreboard in its shot"


@dataclass
class Excitement:
    times: np.ndarray  # seconds
    values: np.ndarray  # 0..1

    def peak(self, t0: float, t1: float) -> tuple[float, float] | None:
        """(time, value) of the maximum in [t0, t1], or None if no samples there."""
        m = (self.times >= t0) & (self.times <= t1)
        if not m.any():
            return None
        i = int(np.argmax(np.where(m, self.values, -1)))
        return float(self.times[i]), float(self.values[i])


def _noisy_or(kinds: Sequence[str]) -> float:
    p = 1.0
    for k in set(kinds):
        p *= 1 - WEIGHTS.get(k, 0.2)
    return round(1 - p, 4)


def _matches(label: str | None, names: Sequence[str]) -> bool:
    return bool(label) and any(n in str(label).lower() for n in names)


def fuse_events(clk: FrameClock, score_events: Sequence[Segment], actions: Sequence[Segment],
                excitement: Excitement | None = None, replays: Sequence[tuple[int, int]] = (),
                rules: EventRules | None = None, source: str = SOURCE,
                sport: SportContext | None = None) -> list[Segment]:
    """The fused events of one video (see module docstring). With ``sport``, a shot/kick on a
    shot that is not sport (:meth:`SportContext.judge`) makes no chance."""
    r = rules or EventRules()
    fps = clk.rate.fps
    n = clk.frame_count
    t = clk.time
    acts = sorted((a for a in actions if a.status != REJECTED and (a.confidence is None or
                                                                   a.confidence >= r.min_action_conf)),
                  key=lambda a: a.start_frame)
    out: list[Segment] = []

    def replay_after(f: int) -> tuple[int, int] | None:
        return next(((a, b) for a, b in replays if f <= a <= f + r.after_s * fps), None)

    def excite(f0: int, f1: int) -> tuple[float, float] | None:
        if excitement is None:
            return None
        pk = excitement.peak(t(f0), t(min(f1, n)))
        return pk if pk and pk[1] >= r.excitement_peak else None

    def add(label: str, start: int, end: int, why: list[str], kinds: list[str], extra: dict[str, object]) -> None:
        start, end = max(0, start), min(n, max(end, start + 1))
        out.append(Segment(EVENT, start, end, label, _noisy_or(kinds),
                           {"why": why, "signals": sorted(set(kinds))} | extra, source))

    def reaction(a: Segment, who: str) -> tuple[bool, list[str], list[str]]:
        """Did crowd/commentary or a replay follow action ``a``? (fired?, why lines, signal kinds)"""
        pk, rp = excite(a.start_frame, a.end_frame + int(6 * fps)), replay_after(a.end_frame)
        why = [f"{a.label} by {who} at {clock(t(a.start_frame))}"]
        kinds = ["action"]
        if pk:
            kinds.append("excitement")
            why.append(f"excitement {pk[1]:.2f} at {clock(pk[0])}")
        if rp:
            kinds.append("replay")
            why.append(f"replay at {clock(t(rp[0]))}")
        return bool(pk or rp), why, kinds

    goals: list[int] = []
    used_actions: set[int] = set()
    for e in sorted(score_events, key=lambda s: s.start_frame):
        if e.label not in ("goal", "score_change") or e.attrs.get("correction"):
            continue
        f = e.start_frame
        why = [f"score changed {e.attrs.get('before', '?')} \u2192 {e.attrs.get('after', '?')} at {clock(t(f))}"]
        kinds = ["score"]
        start, end = f - int(3 * fps), f + int(1 * fps)
        shot = next((a for a in reversed(acts) if _matches(a.label, r.shot_labels)
                     and f - r.before_s * fps <= a.end_frame <= f + fps), None)
        if shot is not None:
            used_actions.add(id(shot))
            kinds.append("action")
            why.append(f"{shot.label} by person {shot.attrs.get('person', '?')} at {clock(t(shot.start_frame))}")
            start = shot.start_frame - int(1 * fps)
        pk = excite(start, f + int(r.after_s * fps))
        if pk:
            kinds.append("excitement")
            why.append(f"crowd/commentary excitement {pk[1]:.2f} at {clock(pk[0])}")
        rp = replay_after(f)
        if rp:
            kinds.append("replay")
            why.append(f"replay at {clock(t(rp[0]))}")
        goals.append(f)
        add("goal", start, end, why, kinds, {"anchor": f} | {k: e.attrs[k] for k in ("before", "after", "team")
                                                          if e.attrs.get(k)})
    for a in acts:
        if id(a) in used_actions:
            continue
        who = f"person {a.attrs.get('person', '?')}"
        if _matches(a.label, r.shot_labels):
            if any(a.start_frame - fps <= g <= a.end_frame + r.before_s * fps for g in goals):
                continue  # part of a goal
            reacted, why, kinds = reaction(a, who)
            if not reacted:
                continue  # a shot nobody reacted to is an action, not an event
            if sport is not None:
                ok, because = sport.judge(a, fps)
                if ok is False:
                    continue  # an arm raised in a film or a demo is no chance
                if ok:
                    why.append(f"sport: {because}")
            add("chance", a.start_frame, a.end_frame + int(2 * fps), why, kinds, {"person": a.attrs.get("person")})
        elif _matches(a.label, r.foul_labels):
            label = "card" if "card" in str(a.label) else "foul"
            reacted, why, kinds = reaction(a, who)
            if label == "foul" and not reacted:
                continue
            add(label, a.start_frame, a.end_frame + int(1 * fps), why, kinds, {"person": a.attrs.get("person")})
        elif _matches(a.label, r.celebration_labels):
            g = next((g for g in goals if g - r.before_s * fps <= a.start_frame <= g + r.after_s * fps), None)
            reacted, why, kinds = reaction(a, who)
            if g is not None:
                kinds.append("sequence")
                why.append(f"follows the goal at {clock(t(g))}")
            elif not reacted:
                continue  # arms up with no goal and no crowd: an action, not an event
            add("celebration", a.start_frame, a.end_frame, why, kinds, {"person": a.attrs.get("person")})
    # A goal with sustained excitement after it and no celebration action: celebration from sound.
    if excitement is not None:
        for g in goals:
            if any(s.label == "celebration" and g <= s.start_frame <= g + r.after_s * fps for s in out):
                continue
            m = (excitement.times >= t(g)) & (excitement.times <= t(min(n, g + int(r.after_s * fps))))
            hot = excitement.times[m][excitement.values[m] >= r.excitement_peak]
            # one unbroken stretch of excitement (two separate roars are not one celebration)
            runs = np.split(hot, np.flatnonzero(np.diff(hot) > 0.5) + 1) if len(hot) else []
            run = next((x for x in runs if x[-1] - x[0] >= 3.0), None)
            if run is not None:
                f0, f1 = clk.frame_at(float(run[0])), clk.frame_at(float(run[-1]))
                add("celebration", f0, f1, [f"sustained excitement {clock(float(run[0]))}\u2013"
                                          f"{clock(float(run[-1]))}", f"follows the goal at {clock(t(g))}"],
                    ["excitement", "sequence"], {})
    return sorted(out, key=lambda s: s.start_frame)


def load_excitement(project: Project, video_id: int) -> Excitement | None:
    from core.audio.features import EXCITEMENT, LANE_HOP, RATE, SIGNAL_KEY

    v = project.get_signal(video_id, EXCITEMENT, SIGNAL_KEY)
    if v is None or not len(v):
        return None
    return Excitement(np.arange(len(v)) * (LANE_HOP / RATE), np.asarray(v, np.float64))


def project_replays(project: Project, video_id: int, clk: FrameClock) -> list[tuple[int, int]]:
    """Scenes labelled ``replay`` and the stretches between two gradual transitions that replay
    earlier footage of the same match (``core.highlights.replays``: not a loop, not a clip of a
    compilation)."""
    from core.highlights.replays import replay_spans_checked, stored_hist

    out = [(s.start_frame, s.end_frame) for s in project.segments(video_id, SCENE)
           if s.label == "replay" and s.status != REJECTED]
    out += replay_spans_checked(project.segments(video_id, TRANSITION), clk, stored_hist(project, video_id))
    return sorted(set(out))


def sport_context(project: Project, video_id: int) -> SportContext:
    """Roles, ball frames, scoreboards and shots of a video as stored by their stages."""
    from core.persons.ball import BALL_SIGNAL
    from core.persons.poses import latest_signal_key

    roles: dict[int, str] = {}
    for p in project.segments(video_id, PERSON):
        tid, role = (p.attrs or {}).get("track"), (p.attrs or {}).get("role")
        if isinstance(tid, (int, float)) and role:
            roles[int(tid)] = str(role)
    key = latest_signal_key(project, video_id, BALL_SIGNAL)
    ball = project.get_signal(video_id, BALL_SIGNAL, key) if key else None
    frames = None if ball is None or ball.ndim != 2 else np.asarray(ball[:, 0], np.float64).astype(np.int64)
    boards = [(s.start_frame, s.end_frame) for s in project.segments(video_id, SCOREBOARD) if s.status != REJECTED]
    shots = [(s.start_frame, s.end_frame) for s in project.segments(video_id, SHOT)]
    return SportContext(roles, frames, boards, shots)


def fuse_project(project: Project, video_id: int, rules: EventRules | None = None) -> list[Segment]:
    clk = project.clock(video_id)
    events = [s for s in project.segments(video_id, EVENT)
              if s.status != REJECTED and not s.source.startswith(model_source("events", ""))]
    return fuse_events(clk, events, project.segments(video_id, ACTION), load_excitement(project, video_id),
                       project_replays(project, video_id, clk), rules, sport=sport_context(project, video_id))


def store_events(project: Project, video_id: int, segs: Sequence[Segment], run_id: int | None) -> None:
    """Replace this module's untouched earlier suggestions; people's reviewed ones stay."""
    with project.transaction() as c:
        c.execute("DELETE FROM segments WHERE video_id=? AND track=? AND status=? AND source LIKE ?"
                  " AND id NOT IN (SELECT segment_id FROM label_history WHERE op!='create')",
                  (video_id, EVENT, SUGGESTED, model_source("events", "") + "%"))
        for s in segs:
            project.insert_segment(video_id, s.with_(run_id=run_id), history=False)


class EventsStage(Stage):
    name = "events"
    model = "events"
    version = VERSION
    requires = ("actions", "scoreboard", "audio")
    tracks = (EVENT,)

    def finish(self, ctx: StageContext) -> None:
        segs = fuse_project(ctx.project, ctx.video.id)
        store_events(ctx.project, ctx.video.id, segs, ctx.run_id)
        ctx.progress(self.name, 1.0, f"{len(segs)} event(s)")
