"""`make bench`: every benchmark, each printing Reelflow beside its baseline measured in the same run."""
import importlib
import sys

BENCHMARKS = ("bench_transcode", "bench_captions", "bench_scenes", "bench_trailer")


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            continue
        print(f"\n== {name} ==", flush=True)
        try:
            module.main([])
        except SystemExit as exc:
            if exc.code not in (None, 0):
                failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
