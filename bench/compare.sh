#!/usr/bin/env bash
# compare.sh - time the exportkit CLI against the Python Label Studio reference converter
# (label-studio-sdk 2.1.2) on a generated rect dataset, and check byte-compatibility.
#
# Usage (from anywhere; the script works in the repository root):
#   bench/compare.sh [--tasks N] [--no-reference] [--formats LIST] [--threads LIST]
#                    [--runs R] [--flat-tasks M | --no-flatness] [--flat-formats LIST]
#                    [--idle-wait S] [--work DIR] [--no-build] [--keep]
#
#   --tasks N        tasks in the generated input (default 100000); cached as bench/data/rect_<N>.json
#   --no-reference   do not run the Python reference (no speed-up or byte-identity columns)
#   --formats LIST   comma-separated format names, or the groups `text` (JSON_MIN,CSV,JSON,TSV),
#                    `vision` (COCO,YOLO,YOLO_OBB,VOC) and `all` (default: all)
#   --threads LIST   exportkit worker threads (default 1,2)
#   --runs R         exportkit runs per cell; the median wall time and the largest peak RSS are
#                    reported (default 3). The reference runs once per format.
#   --flat-tasks M   memory-flatness check: the --flat-formats on an M-task input too (default 3*N)
#   --flat-formats LIST  formats of the flatness check (default JSON_MIN,CSV,COCO)
#   --no-flatness    skip the memory-flatness check
#   --idle-wait S    before each timed process, wait up to S seconds until the other processes
#                    use less than 0.15 cores (default 0: do not wait). The `bg` column shows the
#                    cores other processes used during the timed runs either way.
#   --work DIR       put the outputs (and the private binary copy) in DIR/compare-out instead of
#                    bench/data/out (that folder is emptied at the start). A tmpfs (--work /dev/shm)
#                    takes the disk out of the figures.
#   --no-build       use the existing target/release/exportkit (or $EXPORTKIT) as is
#   --keep           keep the outputs (the --work folder) instead of deleting them at the end
#
# Environment: PY (reference venv python; default /root/.cache/exportkit-peers/bin/python, else the
# one printed by ../shared/tools/setup-peers.sh), EXPORTKIT (binary to time).
#
# Needs ../shared (generator and reference driver). Without it the script prints
# "skipped: ../shared not found" and exits 0, so the repository stays self-contained.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [ ! -d ../shared ]; then
    echo "skipped: ../shared not found"
    exit 0
fi

TASKS=100000
REFERENCE=1
FORMATS=all
FLAT_FORMATS=JSON_MIN,CSV,COCO
THREADS=1,2
RUNS=3
FLAT_TASKS=
FLATNESS=1
BUILD=1
KEEP=0
IDLE_WAIT=0
OUT=
while [ $# -gt 0 ]; do
    case "$1" in
        --tasks) TASKS=$2; shift 2 ;;
        --tasks=*) TASKS=${1#*=}; shift ;;
        --no-reference) REFERENCE=0; shift ;;
        --formats) FORMATS=$2; shift 2 ;;
        --formats=*) FORMATS=${1#*=}; shift ;;
        --threads) THREADS=$2; shift 2 ;;
        --threads=*) THREADS=${1#*=}; shift ;;
        --runs) RUNS=$2; shift 2 ;;
        --runs=*) RUNS=${1#*=}; shift ;;
        --flat-tasks) FLAT_TASKS=$2; shift 2 ;;
        --flat-tasks=*) FLAT_TASKS=${1#*=}; shift ;;
        --flat-formats) FLAT_FORMATS=$2; shift 2 ;;
        --flat-formats=*) FLAT_FORMATS=${1#*=}; shift ;;
        --no-flatness) FLATNESS=0; shift ;;
        --no-build) BUILD=0; shift ;;
        --keep) KEEP=1; shift ;;
        --idle-wait) IDLE_WAIT=$2; shift 2 ;;
        --work) OUT=$2/compare-out; shift 2 ;;
        --work=*) OUT=${1#*=}/compare-out; shift ;;
        --idle-wait=*) IDLE_WAIT=${1#*=}; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$TASKS" in ''|*[!0-9]*) echo "compare.sh: --tasks needs a number" >&2; exit 2 ;; esac
case "$RUNS" in ''|*[!0-9]*|0) echo "compare.sh: --runs needs a positive number" >&2; exit 2 ;; esac
case "$IDLE_WAIT" in ''|*[!0-9]*) echo "compare.sh: --idle-wait needs a number of seconds" >&2; exit 2 ;; esac
[ -n "$FLAT_TASKS" ] || FLAT_TASKS=$((TASKS * 3))
# expand_formats LIST: the format groups spelled out.
expand_formats() {
    local f out=()
    IFS=, read -r -a fs <<<"$1"
    for f in "${fs[@]}"; do
        case "$f" in
            text) out+=(JSON_MIN CSV JSON TSV) ;;
            vision) out+=(COCO YOLO YOLO_OBB VOC) ;;
            all) out+=(JSON_MIN CSV JSON TSV COCO YOLO YOLO_OBB VOC) ;;
            *) out+=("$f") ;;
        esac
    done
    (IFS=,; echo "${out[*]}")
}
IFS=, read -r -a FORMAT_LIST <<<"$(expand_formats "$FORMATS")"
IFS=, read -r -a FLAT_FORMAT_LIST <<<"$(expand_formats "$FLAT_FORMATS")"
IFS=, read -r -a THREAD_LIST <<<"$THREADS"

DATA=bench/data
OUT=${OUT:-$DATA/out}
mkdir -p "$DATA"
rm -rf "$OUT"
mkdir -p "$OUT"
TRASH=$OUT/trash
TRASH_N=0
cleanup() {
    if [ -d "$TRASH" ]; then
        echo "deleting the old outputs in $TRASH (untimed; 100k files take 10-25 s here)" >&2
        rm -rf "$TRASH"
    fi
    [ "$KEEP" = 1 ] || rm -rf "$OUT"
}
trap cleanup EXIT

# ---------------------------------------------------------------- tools
if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (apt-get install -y time)" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get install -y time >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y time >/dev/null; }
fi

if [ "$REFERENCE" = 1 ]; then
    PY=${PY:-/root/.cache/exportkit-peers/bin/python}
    if [ ! -x "$PY" ]; then
        echo "setting up the reference venv (../shared/tools/setup-peers.sh)" >&2
        PY=$(../shared/tools/setup-peers.sh | tail -n 1)
    fi
fi

# ---------------------------------------------------------------- data
# Known sha256 of gen_tasks.py --mode rect -k 3 --seed 42 (ls-converter.md section 9.1).
known_sha() {
    case "$1" in
        1000) echo f4fdc947a9dde7a6338a89d0a4f56d95ae0e2a34ef4dfda24642f0e06b90b2dc ;;
        10000) echo d75d14a0bd955befd661deef63989e2926515a07b75af6c4f653b18346e342b2 ;;
        100000) echo 5be9c2cffd6a70094a3861701ca3baa3be9bba0212f2418ef6bc732554e60ac9 ;;
    esac
}
# published N FORMAT: the reference's published median wall s (ls-converter.md section 9), or nothing.
published() {
    case "$1:$2" in
        1000:JSON_MIN) echo 0.54 ;; 1000:CSV) echo 0.63 ;; 1000:COCO) echo 0.61 ;; 1000:YOLO) echo 1.00 ;;
        1000:VOC) echo 0.92 ;; 1000:YOLO_OBB) echo 0.72 ;; 1000:JSON) echo 0.56 ;;
        10000:JSON_MIN) echo 1.28 ;; 10000:CSV) echo 1.98 ;; 10000:COCO) echo 1.82 ;; 10000:YOLO) echo 2.14 ;;
        10000:VOC) echo 4.51 ;; 10000:YOLO_OBB) echo 2.38 ;; 10000:JSON) echo 0.51 ;;
        100000:JSON_MIN) echo 6.97 ;; 100000:CSV) echo 16.21 ;; 100000:COCO) echo 16.72 ;; 100000:YOLO) echo 18.76 ;;
        100000:VOC) echo 40.12 ;; 100000:YOLO_OBB) echo 19.98 ;; 100000:JSON) echo 0.76 ;;
    esac
}
data_file() {
    local n=$1
    if [ $((n % 1000)) = 0 ]; then echo "$DATA/rect_$((n / 1000))k.json"; else echo "$DATA/rect_$n.json"; fi
}
CONFIG=$DATA/rect.xml
# ensure_data N: generate (once) and verify the N-task input; prints its path.
ensure_data() {
    local n=$1 f sha want
    f=$(data_file "$n")
    want=$(known_sha "$n")
    if [ ! -s "$f" ] || [ ! -s "$CONFIG" ]; then
        echo "generating $f ($n tasks)" >&2
        python3 ../shared/tools/gen_tasks.py --mode rect -n "$n" -k 3 --seed 42 \
            -o "$f.tmp" -c "$CONFIG.tmp" >&2
        mv "$CONFIG.tmp" "$CONFIG"
        mv "$f.tmp" "$f"
    fi
    if [ -n "$want" ]; then
        sha=$(sha256sum "$f" | cut -d' ' -f1)
        if [ "$sha" != "$want" ]; then
            echo "compare.sh: $f has sha256 $sha, expected $want; delete it to regenerate" >&2
            exit 1
        fi
        echo "verified $f (sha256 ${sha:0:12}...)" >&2
    fi
    echo "$f"
}

INPUT=$(ensure_data "$TASKS")
FLAT_INPUT=
if [ "$FLATNESS" = 1 ]; then
    FLAT_INPUT=$(ensure_data "$FLAT_TASKS")
fi

# ---------------------------------------------------------------- binary
if [ -n "${EXPORTKIT:-}" ]; then
    BIN=$EXPORTKIT
else
    BIN=target/release/exportkit
    if [ "$BUILD" = 1 ]; then
        echo "building $BIN (cargo build --release --bin exportkit)" >&2
        cargo build --release --bin exportkit >&2
    fi
fi
[ -x "$BIN" ] || { echo "compare.sh: $BIN not found (build it or drop --no-build)" >&2; exit 1; }
# Time a private copy, so a rebuild of target/release during the run cannot change the binary.
cp "$BIN" "$OUT/exportkit"
BIN_SHA=$(sha256sum "$OUT/exportkit" | cut -c1-12)
BIN=$OUT/exportkit

# ---------------------------------------------------------------- measuring
TCK=$(getconf CLK_TCK)
# busy_s: CPU seconds the whole machine has been busy since boot (user+nice+system+irq+softirq+steal).
busy_s() { awk -v t="$TCK" '$1 == "cpu" { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / t; exit }' /proc/stat; }
# wait_idle: with --idle-wait S, wait up to S s until the machine is idle (< 0.15 cores busy over 1 s).
wait_idle() {
    [ "$IDLE_WAIT" -gt 0 ] || return 0
    local start=$SECONDS b0 b1 noted=0
    while :; do
        b0=$(busy_s)
        sleep 1
        b1=$(busy_s)
        awk -v a="$b0" -v b="$b1" 'BEGIN { exit !(b - a < 0.15) }' && return 0
        if [ $((SECONDS - start)) -ge "$IDLE_WAIT" ]; then
            echo "  machine still busy after ${IDLE_WAIT} s, measuring anyway" >&2
            return 0
        fi
        [ "$noted" = 1 ] || { echo "  waiting for an idle machine ..." >&2; noted=1; }
    done
}
# measure LOG CMD...: runs CMD under /usr/bin/time -v; sets WALL (s), RSS_KB, CPU (user+sys s), RC,
# and OTHER: CPU seconds that other processes used meanwhile.
measure() {
    local log=$1 tf t0 t1 b0 b1
    shift
    tf=$(mktemp)
    wait_idle
    b0=$(busy_s)
    t0=$(date +%s%N)
    if /usr/bin/time -v -o "$tf" "$@" >"$log" 2>&1; then RC=0; else RC=$?; fi
    t1=$(date +%s%N)
    b1=$(busy_s)
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
    CPU=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { printf "%.2f", u + s }' "$tf")
    OTHER=$(awk -v a="$b0" -v b="$b1" -v c="$CPU" 'BEGIN { o = b - a - c; printf "%.2f", (o < 0 ? 0 : o) }')
    rm -f "$tf"
}
# bg_cores OTHER WALL: average cores used by other processes.
bg_cores() { awk -v o="$1" -v w="$2" 'BEGIN { printf "%.2f", (w > 0 ? o / w : 0) }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

ratio() { awk -v r="$1" -v e="$2" 'BEGIN { printf "%.1fx", r / e }'; }
# settle DIR...: clear the way for the next timed run (never timed). Old outputs are moved into
# $TRASH, which is only emptied at exit: YOLO, YOLO_OBB and VOC write one file per task, and
# deleting 100k files takes seconds; worse, on an ext4 without a journal (this VM's root) the
# inode allocator skips inodes freed in the last 60-360 s (ialloc.c recently_deleted()), so
# creating 100k files right after deleting 100k costs several times more kernel CPU and made
# exportkit YOLO runs swing from 2 s to 20 s. Then `sync`, so that the previous run's writeback
# does not fall into the next run either. If free inodes run low, the trash is emptied and the
# script waits out that window.
settle() {
    local d
    for d in "$@"; do
        if [ -e "$d" ]; then
            mkdir -p "$TRASH"
            mv "$d" "$TRASH/$((TRASH_N++))"
        fi
    done
    if [ -d "$TRASH" ] && [ "$(df --output=iavail "$TRASH" | tail -n 1)" -lt 2000000 ]; then
        echo "few free inodes left: emptying $TRASH, then waiting 65 s" >&2
        rm -rf "$TRASH"
        sync
        sleep 65
    fi
    sync
}
# tree_id DIR: what the byte-identity check compares: the digest of every file (with COCO's and
# notes.json's volatile `year`/`date_created` masked) plus the list of directories, since the
# digest ignores empty ones (e.g. VOC's and YOLO's `images/`).
tree_id() {
    "$PY" ../shared/tools/run_ls_converter.py digest "$1" --normalize | tail -n 1
    (cd "$1" && find . -type d | LC_ALL=C sort | sha256sum | cut -c1-16)
}

# run_exportkit INPUT FORMAT MODE THREADS OUTDIR: RUNS runs; sets E_WALL (median), E_RSS (max KB),
# E_CPU (median), E_BG (other processes' cores, over all runs), E_FAIL.
# The last run's output stays in OUTDIR.
run_exportkit() {
    local input=$1 fmt=$2 mode=$3 threads=$4 out=$5 i walls=() cpus=() extra=() other=0 wall=0
    [ "$mode" = compat ] && extra=(--compat label-studio)
    E_RSS=0 E_FAIL=0
    for ((i = 0; i < RUNS; i++)); do
        settle "$out"
        measure "$out.log" "$BIN" convert "$input" --format "$fmt" --out "$out" \
            --config "$CONFIG" --threads "$threads" "${extra[@]}" -q
        if [ "$RC" != 0 ]; then
            E_FAIL=1
            echo "exportkit $fmt $mode ${threads}t failed (exit $RC):" >&2
            tail -n 5 "$out.log" >&2
            return
        fi
        walls+=("$WALL")
        cpus+=("$CPU")
        other=$(awk -v a="$other" -v b="$OTHER" 'BEGIN { print a + b }')
        wall=$(awk -v a="$wall" -v b="$WALL" 'BEGIN { print a + b }')
        [ "$RSS_KB" -gt "$E_RSS" ] && E_RSS=$RSS_KB
    done
    E_WALL=$(median "${walls[@]}")
    E_CPU=$(median "${cpus[@]}")
    E_BG=$(bg_cores "$other" "$wall")
}

cat "$INPUT" >/dev/null # warm the page cache
in_mb=$(awk -v b="$(stat -c %s "$INPUT")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo
echo "exportkit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$( [ -n "$(git status --porcelain -- core formats src 2>/dev/null)" ] && echo ' (+ uncommitted changes)')," \
    "binary sha256 $BIN_SHA..., $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
echo "input: $INPUT ($TASKS tasks, $in_mb MB); exportkit: median of $RUNS runs, peak RSS = max; reference: 1 run"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

ROWS=()
FAILED=0
row() { ROWS+=("$(printf '%-9s %-9s %7s %9s %9s %9s %9s %9s %10s %5s' "$@")"); }
row format mode threads "wall s" "CPU s" "RSS MiB" speed-up "vs §9" identical bg
for fmt in "${FORMAT_LIST[@]}"; do
    ref_wall= ref_id=
    ref_out=$OUT/ref-$fmt
    pub=$(published "$TASKS" "$fmt")
    if [ "$REFERENCE" = 1 ]; then
        echo "reference $fmt ..." >&2
        settle "$ref_out"
        measure "$ref_out.log" "$PY" ../shared/tools/run_ls_converter.py "$INPUT" "$CONFIG" "$fmt" "$ref_out"
        if [ "$RC" = 0 ]; then
            ref_wall=$WALL
            ref_id=$(tree_id "$ref_out")
            row "$fmt" reference 1 "$WALL" "$CPU" "$(mib "$RSS_KB")" 1.0x "$([ -n "$pub" ] && ratio "$pub" "$WALL" || echo -)" - "$(bg_cores "$OTHER" "$WALL")"
        else
            echo "reference $fmt failed (exit $RC):" >&2
            tail -n 5 "$ref_out.log" >&2
            row "$fmt" reference 1 FAIL - - - - - -
        fi
    fi
    for mode in clean compat; do
        for t in "${THREAD_LIST[@]}"; do
            echo "exportkit $fmt $mode ${t}t ..." >&2
            out=$OUT/ek-$fmt-$mode-$t
            run_exportkit "$INPUT" "$fmt" "$mode" "$t" "$out"
            if [ "$E_FAIL" = 1 ]; then
                FAILED=1
                row "$fmt" "$mode" "$t" FAIL - - - - - -
                continue
            fi
            speed=- same=- vspub=-
            [ -n "$pub" ] && vspub=$(ratio "$pub" "$E_WALL")
            if [ -n "$ref_wall" ]; then
                speed=$(ratio "$ref_wall" "$E_WALL")
                if [ "$mode" = compat ]; then
                    if [ "$(tree_id "$out")" = "$ref_id" ]; then
                        same=yes
                    else
                        same=NO
                        FAILED=1
                        echo "exportkit $fmt compat ${t}t differs from the reference; first differences:" >&2
                        diff -rq "$ref_out" "$out" 2>&1 | head -n 5 >&2 || true
                    fi
                fi
            fi
            row "$fmt" "$mode" "$t" "$E_WALL" "$E_CPU" "$(mib "$E_RSS")" "$speed" "$vspub" "$same" "$E_BG"
            settle "$out"
        done
    done
    settle "$ref_out"
done
printf '%s\n' "${ROWS[@]}"

# ---------------------------------------------------------------- memory flatness
if [ "$FLATNESS" = 1 ]; then
    cat "$FLAT_INPUT" >/dev/null
    t_max=$(printf '%s\n' "${THREAD_LIST[@]}" | sort -n | tail -n 1)
    FLAT=("$(printf '%-9s %-7s %12s %12s %9s %12s' format mode "RSS@$TASKS" "RSS@$FLAT_TASKS" growth "wall@$FLAT_TASKS")")
    for fmt in "${FLAT_FORMAT_LIST[@]}"; do
        for mode in clean compat; do
            echo "flatness $fmt $mode ..." >&2
            run_exportkit "$INPUT" "$fmt" "$mode" "$t_max" "$OUT/flat-a"
            [ "$E_FAIL" = 1 ] && { FAILED=1; continue; }
            small=$E_RSS
            run_exportkit "$FLAT_INPUT" "$fmt" "$mode" "$t_max" "$OUT/flat-b"
            [ "$E_FAIL" = 1 ] && { FAILED=1; continue; }
            FLAT+=("$(printf '%-9s %-7s %12s %12s %9s %12s' "$fmt" "$mode" "$(mib "$small") MiB" "$(mib "$E_RSS") MiB" \
                "$(awk -v a="$small" -v b="$E_RSS" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }')" "$E_WALL s")")
            settle "$OUT/flat-a" "$OUT/flat-b"
        done
    done
    echo
    echo "memory flatness: peak RSS at $TASKS vs $FLAT_TASKS tasks ($(basename "$FLAT_INPUT")), ${t_max} threads, max of $RUNS runs"
    printf '%s\n' "${FLAT[@]}"
fi

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$FAILED" = 0 ] || { echo; echo "some runs failed or compat output differs from the reference (see above)"; exit 1; }
