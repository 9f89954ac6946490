#!/usr/bin/env bash
# Rebuilds resources/sample/clipdesk-sample.mp4 from the openly licensed shared media
# (Big Buck Bunny CC BY 3.0, public-domain Chaplin) plus espeak-ng narration. Not part of setup:
# the result is committed. Needs ffmpeg and espeak-ng. Optional argument: another output path
# (to try a variant without touching the committed sample).
set -euo pipefail
cd "$(dirname "$0")/.."
M=${CLIPDESK_SHARED_MEDIA:-../shared/media}/video
OUT=${1:-resources/sample/clipdesk-sample.mp4}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
espeak-ng -s 150 -w "$T/n1.wav" "Welcome to ClipDesk. This is the bundled sample, with cuts, a dissolve and fades."
espeak-ng -s 155 -w "$T/n2.wav" "And here comes the dissolve into the old film. What a strike! Two one, in the sixty seventh minute."
espeak-ng -s 150 -w "$T/n3.wav" "Back to the bunny for the final shots. Thanks for watching."
ffmpeg -v error -y -ss 0 -t 15 -i "$M/moviepy__big_buck_bunny_0_30.webm" -ss 0 -t 7 -i "$M/moviepy__chaplin.mp4" \
  -ss 20 -t 10 -i "$M/moviepy__big_buck_bunny_0_30.webm" -i "$T/n1.wav" -i "$T/n2.wav" -i "$T/n3.wav" -filter_complex "
[0:v]scale=640:360,fps=24,format=yuv420p,settb=1/24000,setpts=PTS-STARTPTS[a];
[1:v]scale=640:360,fps=24,format=yuv420p,settb=1/24000,setpts=PTS-STARTPTS[b];
[2:v]scale=640:360,fps=24,format=yuv420p,settb=1/24000,setpts=PTS-STARTPTS[c];
[a][b]xfade=transition=dissolve:duration=1:offset=14[ab];
[ab][c]concat=n=2:v=1:a=0,fade=t=out:st=30:d=1[v];
[0:a]atrim=0:15,asetpts=PTS-STARTPTS,aresample=44100,aformat=channel_layouts=stereo[aa];
[1:a]atrim=0:7,asetpts=PTS-STARTPTS,aresample=44100,aformat=channel_layouts=stereo[ba];
[2:a]atrim=0:10,asetpts=PTS-STARTPTS,aresample=44100,aformat=channel_layouts=stereo[ca];
[aa][ba]acrossfade=d=1[aba];[aba][ca]concat=n=2:v=0:a=1,volume=0.35[music];
[3:a]adelay=2000|2000,aresample=44100,aformat=channel_layouts=stereo[s1];
[4:a]adelay=15500|15500,aresample=44100,aformat=channel_layouts=stereo[s2];
[5:a]adelay=24000|24000,aresample=44100,aformat=channel_layouts=stereo[s3];
[music][s1][s2][s3]amix=inputs=4:duration=first:normalize=0[aout]" -map "[v]" -map "[aout]" \
  -c:v libx264 -preset slow -crf 27 -g 48 -c:a aac -b:a 64k -movflags +faststart -t 31 \
  "$OUT"
