"""Speech benchmark: VAD and ASR real-time factors, WER on the shared transcripts, VAD frame F1.

    .venv/bin/python bench/speech.py [--media ../shared/media] [--beam 5] [--threads 2]

Prints, side by side in one run:
- VAD (Silero, ClipDesk block-wise) RT factor over all shared speech audio;
- ASR (faster-whisper tiny.en through ClipDesk: VAD regions packed into 29 s windows) RT factor
  and WER per reference transcript, and on one long-form stream (all files joined with pauses),
  next to faster-whisper's own ``transcribe(vad_filter=True)`` on the same stream;
- speech frame F1 against the hand labels (``VAD_*.json``), clean and under crowd-like noise.

RT factor = processing time / audio duration. Nothing here asserts a time (see PERFORMANCE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.media.reader import load_audio  # noqa: E402
from core.audio.speech import frame_f1, word_error_rate  # noqa: E402
from core.testing.vad_eval import VAD_FILES, crowd_noise, hand_labels  # noqa: E402
from models.speech.asr import SpeechSettings, Transcriber  # noqa: E402
from models.speech.vad import RATE, SileroVAD  # noqa: E402

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-peer", action="store_true", help="skip faster-whisper's own VAD pipeline")
    args = ap.parse_args(argv)
    media = Path(args.media)
    if not (media / "groundtruth" / "transcripts.json").exists():
        print(f"shared media not found at {media}", file=sys.stderr)
        return 2
    print(f"# speech bench  {time.strftime('%Y-%m-%d %H:%M')}  cpus={os.cpu_count()}  "
          f"beam={args.beam} threads={args.threads}")
    vad = SileroVAD()
    refs = {k: v for k, v in json.loads((media / "groundtruth" / "transcripts.json").read_text()).items()
            if not k.startswith("_")}

    # -- VAD speed over every shared speech file --------------------------------------------------
    audios = {p.name: load_audio(p) for p in sorted((media / "audio").iterdir())}
    allaudio = np.concatenate(list(audios.values()))
    long = np.tile(allaudio, max(1, int(600 * RATE / allaudio.size)))  # ~10 min
    t, c = time.perf_counter(), time.process_time()
    vad.probabilities(long)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    print(f"VAD   {long.size / RATE:7.1f} s audio  {dt:6.2f} s  RT {dt / (long.size / RATE):.4f}x  "
          f"CPU-time RT {dc / (long.size / RATE):.4f}x on 1 thread  (target <= 0.005x)")

    # -- ASR per reference file ---------------------------------------------------------------------
    tr = Transcriber(SpeechSettings(beam_size=args.beam, threads=args.threads))
    tot_err = tot_words = 0.0
    tot_time = tot_dur = 0.0
    for rel, entry in refs.items():
        audio = load_audio(media / rel)
        t = time.perf_counter()
        regions, _ = vad.regions(audio)
        out = tr.transcribe(audio, regions)
        dt = time.perf_counter() - t
        hyp = " ".join(x.text for x in out)
        wer = word_error_rate(entry["text"], hyp)
        n = len(entry["text"].split())
        tot_err += wer * n
        tot_words += n
        tot_time += dt
        tot_dur += audio.size / RATE
        print(f"ASR   {Path(rel).name:30s} {audio.size / RATE:5.1f} s  RT {dt / (audio.size / RATE):.3f}x  "
              f"WER {100 * wer:5.1f}%  | {hyp}")
    print(f"ASR   short files: WER {100 * tot_err / tot_words:.1f}% over {int(tot_words)} words "
          f"(published tiny.en: 5.6% on LibriSpeech test-clean); RT {tot_time / tot_dur:.3f}x "
          "(each short file pays a whole 30 s Whisper window)")

    # -- long-form stream: every file joined with 2 s pauses ----------------------------------------
    gap = np.zeros(2 * RATE, np.float32)
    parts = []
    for rel in refs:
        parts += [load_audio(media / rel), gap]
    parts.append(audios["pyannote__sample.wav"])
    stream = np.concatenate(parts)
    dur = stream.size / RATE
    t, c = time.perf_counter(), time.process_time()
    regions, _ = vad.regions(stream)
    out = tr.transcribe(stream, regions)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    n_words = sum(len(x.words) for x in out)
    print(f"ASR   long-form {dur:5.1f} s, {len(regions)} regions: ClipDesk VAD+ASR {dt:5.2f} s  "
          f"RT {dt / dur:.3f}x  CPU-time RT {dc / dur / args.threads:.3f}x per thread  "
          f"(target <= 0.1x); {n_words} words")
    if not args.no_peer:
        t, c = time.perf_counter(), time.process_time()
        segs, _ = tr.model.transcribe(stream, language="en", beam_size=args.beam, word_timestamps=True,
                                      vad_filter=True, condition_on_previous_text=False)
        list(segs)
        pdt, pdc = time.perf_counter() - t, time.process_time() - c
        print(f"ASR   long-form peer faster-whisper vad_filter=True: {pdt:5.2f} s  RT {pdt / dur:.3f}x  "
              f"CPU-time RT {pdc / dur / args.threads:.3f}x; ratio ClipDesk/peer wall {dt / pdt:.2f}, "
              f"CPU {dc / pdc:.2f}")

    # -- VAD frame F1 against hand labels, clean and with crowd noise -------------------------------
    for snr in (None, 10.0, 5.0, 0.0):
        f1s = []
        for wav, labels in VAD_FILES:
            audio = audios[wav]
            if snr is not None:
                noise = crowd_noise(audio.size) * np.sqrt(np.mean(audio ** 2) / 10 ** (snr / 10))
                audio = (audio + noise).astype(np.float32)
            regions, _ = vad.regions(audio)
            truth, spans = hand_labels(media / "groundtruth" / labels)
            pred = [(a / RATE, b / RATE) for a, b in regions]
            f1s.append(frame_f1(pred, truth, audio.size / RATE, scored=spans)[2])
        name = "clean" if snr is None else f"crowd noise SNR {snr:g} dB"
        print(f"VAD F1 {name:24s} " + "  ".join(f"{w.split('__')[1]} {f:.3f}"
                                                  for (w, _), f in zip(VAD_FILES, f1s, strict=True))
              + "  (target >= 0.9)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
