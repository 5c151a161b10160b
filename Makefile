# Makefile: short names for the usual jobs; CMake is the real build.
PY ?= /usr/bin/python3
JOBS ?= $(shell nproc)

all:            ## release build (library, tests, example, Python extension)
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$(PY) >/dev/null
	cmake --build build -j$(JOBS)

debug:          ## debug build in build-debug
	cmake -S . -B build-debug -DCMAKE_BUILD_TYPE=Debug -DPython3_EXECUTABLE=$(PY) >/dev/null
	cmake --build build-debug -j$(JOBS)

asan:           ## AddressSanitizer + UBSan build of the C suite, and run it
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMLX_SANITIZE=ON -DCMLX_PYTHON=OFF -DCMLX_CUDA=OFF >/dev/null
	cmake --build build-asan -j$(JOBS)
	build-asan/cmlx_tests

test:           ## everything CI runs
	bash scripts/test.sh

demo:           ## the main job: the C example
	bash scripts/demo.sh

bench: all      ## CPU benchmark beside NumPy
	$(PY) bench/bench_numpy.py build/bench_core

lines:          ## line counts per folder
	@find src include python tests bench -name '*.[ch]' -o -name '*.py' | xargs wc -l | sort -n | tail -25

clean:
	rm -rf build build-debug build-asan

.PHONY: all debug asan test demo bench lines clean
