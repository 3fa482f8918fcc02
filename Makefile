# advnet: the two commands of the README, and the rest.
#   make demo    the main job: trains the paper's MNIST GAN briefly, writes runs/demo/
#   make test    installs what is missing, builds, runs all tests, then again under ASan + UBSan
#   make bench   micro-benchmarks, then advnet vs PyTorch and NumPy side by side (bench/compare.py)
#   make fuzz    runs the libFuzzer targets for FUZZ_SECONDS each (make test runs them 15 s each: a smoke that they build, replay fuzz/regressions and find nothing quickly)
#   make docs    regenerates the reference section of docs/configuration.md from the code's declarations
#   make golden  regenerates tests/golden/paper_nets.bin and conv_nets.bin with PyTorch, feature_metrics.* with SciPy,
#                modes.* with NumPy
#   make fresh-check  make test and make demo in a fresh Debian root (scripts/fresh_machine_check.sh; CI)
SHELL := /bin/bash
comma := ,
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=

.PHONY: test-nompi all docs check-layers setup setup-tests configure build build-cli build-fuzz fresh-check fuzz test-fuzz build-asan test test-release test-asan demo bench golden clean

all: build

setup:
	@scripts/setup.sh

setup-tests:
	@scripts/setup.sh --for-tests

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > /dev/null

build: configure
	@cmake --build $(BUILD)

# Only the library and the advnet command: what make demo runs (not the tests and benchmarks).
build-cli: configure
	@cmake --build $(BUILD) --target advnet_cli

# -g1: line tables only (a sanitizer report still names file and line; the build is faster than with -g).
build-asan: setup
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADVNET_SANITIZE=ON \
	  -DADVNET_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(ASAN_BUILD)

# Two tests at a time (the machine's two cores: most tests are short and single-threaded); OpenMP
# threads that wait sleep instead of spinning, so that two tests' threads share the cores evenly.
CTEST_JOBS ?= 2
test-release: setup-tests build
	@cd $(BUILD) && OMP_WAIT_POLICY=passive ctest --output-on-failure -j $(CTEST_JOBS)

# Under the sanitizers every test runs except these, whose point is a statistic of long runs
# (convergence, accuracy, kills at random moments) over code that shorter tests run under the
# sanitizers too; at 3–4× the Release time they would add 5 minutes. The Release suite runs them.
# Likewise the two tests that launch mpirun 12 times to compare the bytes of Open MPI's six allreduce algorithms
# (~4.5 minutes each under ASan with its slow unwinder; the ordered sum runs under ASan in Distributed.BadLaunches…),
# and the 8-launch comparison of a BatchNorm net's step on 1 and 2 ranks (its SyncBN arithmetic runs under ASan in
# SyncBatchNorm.* and the layer contract, with threads as ranks).
ASAN_LONG_TESTS := Distributed.OrderedAllreduceIsTheSameForEveryMpiAlgorithmAtThreeRanks|Distributed.OrderedAllreduceIsTheSameForEveryMpiAlgorithmAtFourRanks|Distributed.OneStepOfABatchNormNetOnOneAndOnTwoRanksIsTheSameWithSyncBatchNorm|Cli.SigkillAtRandomMomentsNeverCorruptsTheCheckpointAndResumeEndsByteIdentical|Cli.ShortMnistRunGeneratorCatchesUpWithTheDiscriminator|Trainer.Toy1dReachesTheGlobalOptimum|MetricsCli.ShippedClassifiersMeetTheirAccuracyAndAreFoundByTheirData
test-asan: build-asan
	@echo "test-asan: the Release suite alone runs $(subst |,$(comma) ,$(ASAN_LONG_TESTS))"
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 OMP_WAIT_POLICY=passive \
	  ctest --output-on-failure -j $(CTEST_JOBS) -E '^($(ASAN_LONG_TESTS))$$'

# libFuzzer targets (clang, ASan + UBSan) for the IDX, safetensors, NPY and TOML parsers. Without the unity
# build: this tree compiles each library source on its own, the check that each includes what it uses.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 15
build-fuzz: setup-tests
	@CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DADVNET_FUZZ=ON -DADVNET_UNITY=OFF > /dev/null
	@cmake --build build-fuzz

fuzz: build-fuzz
	@scripts/fuzz.sh $(FUZZ_SECONDS)

test-fuzz: build-fuzz
	@scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS)

# Layers of the code point one way (docs/architecture.md, "Layers point one way"): a second to check, so first.
check-layers:
	@scripts/check_layers.sh

# The build without MPI (-DADVNET_MPI=OFF): the library and the command only, and a smoke that it trains as
# one process and refuses to run under mpirun (not the whole suite a fourth time).
NOMPI_BUILD ?= build-nompi
test-nompi: setup
	@cmake -S . -B $(NOMPI_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DADVNET_MPI=OFF -DADVNET_BUILD_TESTS=OFF \
	  -DADVNET_BUILD_BENCH=OFF $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(NOMPI_BUILD) --target advnet_cli
	@tests/distributed/test_no_mpi.sh $(NOMPI_BUILD)/advnet .

test: check-layers test-release test-asan test-fuzz test-nompi

# The main job: the paper's MNIST net for DEMO_EPOCHS epochs (2½–4½ minutes on 2 cores), written
# to runs/demo/ (report.html, samples.png, samples/, metrics.jsonl, checkpoints/), then the paper's
# evaluation (Table 1's Parzen protocol) and Figures 2 and 3 of the result. Starts afresh each time.
# G's parameters are averaged from epoch 5 (training.g_ema; the game itself is the reference one):
# samples, Parzen score and figures come from the average (eval parzen --live: G's own).
DEMO_EPOCHS ?= 25
demo: build-cli
	@rm -rf runs/demo
	@$(BUILD)/advnet train configs/paper_mnist.toml --out runs/demo --epochs $(DEMO_EPOCHS) \
	  --set training.g_ema=0.9996 --set training.g_ema_start_epoch=5
	@$(BUILD)/advnet eval parzen runs/demo/checkpoints/latest.safetensors --data data/mnist | tail -1
	@$(BUILD)/advnet figure samples runs/demo/checkpoints/latest.safetensors --out runs/demo/figure2.png
	@$(BUILD)/advnet figure interpolate runs/demo/checkpoints/latest.safetensors --out runs/demo/figure3.png
	@echo "open runs/demo/report.html"


# advnet against PyTorch (Debian's python3-torch with OpenBLAS) and NumPy in one run: bench/compare.py.
bench: build
	@scripts/setup.sh --with-torch
	@$(BUILD)/bench/advnet_bench_core --threads 2
	@/usr/bin/python3 bench/compare.py

fresh-check:
	@scripts/fresh_machine_check.sh

docs: build-cli
	@scripts/update_docs.sh $(BUILD)/advnet

golden:
	@scripts/setup.sh --with-torch
	@/usr/bin/python3 tests/golden/make_golden.py
	@/usr/bin/python3 tests/golden/make_golden_conv.py
	@/usr/bin/python3 tests/golden/make_golden_losses.py
	@/usr/bin/python3 tests/golden/make_feature_metrics.py
	@/usr/bin/python3 tests/golden/make_modes.py

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
