"""Generate docs/exercises.md from the exercise specs, with a frame from each exercise's sample clip.

    .venv/bin/python tools/gen_exercise_docs.py          # rewrite docs/exercises.md (+ thumbnails)
    .venv/bin/python tools/gen_exercise_docs.py --check  # exit 1 if the page is out of date

The page is derived data: edit the specs, then regenerate. A test checks it is current.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from formcoach.specs import Condition, ExerciseSpec, load_catalog  # noqa: E402

DOC = REPO / "docs" / "exercises.md"
IMAGES = REPO / "docs" / "images" / "exercises"
SAMPLES = REPO / "sample_videos"
WHEN_WORDS = {
    "always": "throughout", "during_rep": "during each rep", "at_start": "between reps",
    "at_target": "at the bottom/top of each rep", "during_hold": "while holding", "rep_end": "over each rep",
}


def _bounds(c: Condition) -> str:
    if c.min is not None and c.max is not None:
        return f"between {c.min:g} and {c.max:g}"
    return f"at least {c.min:g}" if c.min is not None else f"at most {c.max:g}"


def _metric_words(spec: ExerciseSpec, name: str) -> str:
    return f"`{name}` ({spec.metrics[name].kind.describe()})"


def _dose(spec: ExerciseSpec) -> str:
    d = spec.defaults
    amount = f"{d.reps} reps" if d.reps else (f"{d.hold_s:g} s hold" if d.hold_s else "")
    side = " per side" if d.per_side else ""
    return f"{d.sets} × {amount}{side}, rest {d.rest_s:g} s"


def sample_for(spec_id: str) -> Path | None:
    clips = sorted(SAMPLES.glob(f"{spec_id}_good*.mp4")) or sorted(SAMPLES.glob(f"{spec_id}*.mp4"))
    return clips[0] if clips else None


def section(spec: ExerciseSpec, image: str | None) -> str:
    lines = [f'<a id="{spec.id}"></a>', "", f"## {spec.name} (`{spec.id}`)", ""]
    if image:
        lines += [f"![{spec.name}]({image})", ""]
    if spec.description:
        lines += [spec.description.strip(), ""]
    lines += [
        f"- **Source:** {spec.source}",
        f"- **Camera:** {' or '.join(spec.views)} view. {spec.camera}".rstrip(),
        f"- **Default:** {_dose(spec)}",
    ]
    for level, dose in spec.levels.items():
        amount = f"{dose.reps} reps" if dose.reps else (f"{dose.hold_s:g} s hold" if dose.hold_s else "")
        lines.append(f"- **{level.capitalize()}:** {dose.sets} × {amount}, rest {dose.rest_s:g} s")
    if spec.reps is not None:
        r = spec.reps.rule
        lines.append(f"- **Counts a rep** when {_metric_words(spec, r.metric)} goes from {r.start:g} to {r.target:g} and back; "
                     f"an attempt that stops short is a partial (`{r.partial_cue}`: “{r.partial_message}”)"
                     + (f"; a return that does not reach the start is `{r.incomplete_return_cue}`" if r.incomplete_return_cue else "")
                     + "".join(f"; the start also needs {_metric_words(spec, c.metric)} {_bounds(c)}"
                               for c in spec.reps.start_requires)
                     + ".")
    if spec.hold is not None:
        posture = "; ".join(f"{_metric_words(spec, c.metric)} {_bounds(c)}" for c in spec.hold.posture)
        lines.append(f"- **Times a hold** while {posture}; target {spec.hold.rule.target_s:g} s "
                     f"(shorter: `{spec.hold.rule.short_cue}`: “{spec.hold.rule.short_message}”).")
    if spec.cues:
        lines += ["", "| check | when | rule | says | views |", "|---|---|---|---|---|"]
        for cue in spec.cues:
            agg = f"{cue.aggregate} of " if cue.aggregate else ""
            rule = f"{agg}{_metric_words(spec, cue.condition.metric)} {_bounds(cue.condition)}"
            lines.append(f"| `{cue.id}` | {WHEN_WORDS[cue.when]} | {rule} | “{cue.say}” | {', '.join(cue.views)} |")
    if spec.tips:
        lines += ["", "Tips (not checked by the camera):", *[f"- {t}" for t in spec.tips]]
    return "\n".join(lines) + "\n"


def render_page(catalog: dict[str, ExerciseSpec], images: dict[str, str]) -> str:
    head = [
        "# Exercise catalog",
        "",
        "Generated from `exercise_specs/*.yaml` by `tools/gen_exercise_docs.py` — do not edit by hand.",
        "Angles are in degrees, offsets and distances in torso lengths. Pictures are frames of the",
        "rendered sample clips in `sample_videos/`.",
        "",
        "| id | exercise | view | default |",
        "|---|---|---|---|",
        *[f"| [`{s.id}`](#{s.id}) | {s.name} | {'/'.join(s.views)} | {_dose(s)} |" for s in catalog.values()],
        "",
    ]
    return "\n".join(head) + "\n" + "\n".join(section(s, images.get(s.id)) for s in catalog.values())


def write_thumbnail(clip: Path, out: Path) -> None:
    from formcoach._cv2 import cv2

    cap = cv2.VideoCapture(str(clip))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.set(cv2.CAP_PROP_POS_FRAMES, max(frames // 3, 0))
    ok, image = cap.read()
    cap.release()
    if ok:
        out.parent.mkdir(parents=True, exist_ok=True)
        small = cv2.resize(image, (320, int(image.shape[0] * 320 / image.shape[1])), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(out), small, [cv2.IMWRITE_JPEG_QUALITY, 70])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that docs/exercises.md is current")
    args = parser.parse_args()
    catalog = load_catalog()
    images = {}
    for spec_id in catalog:
        clip = sample_for(spec_id)
        if clip is not None:
            images[spec_id] = f"images/exercises/{spec_id}.jpg"
            if not args.check:
                write_thumbnail(clip, IMAGES / f"{spec_id}.jpg")
    page = render_page(catalog, images)
    if args.check:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != page:
            print(f"{DOC} is out of date: run tools/gen_exercise_docs.py")
            return 1
        return 0
    DOC.write_text(page, encoding="utf-8")
    print(f"wrote {DOC} ({len(catalog)} exercises, {len(images)} pictures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
