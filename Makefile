# Quick start: `make demo` maps sample_data; `make test` builds and runs the tests.
# Both install missing Debian packages first (apt-get, with sudo when not root).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps test-deps configure build demo test test-qgis test-install package qgis-plugin sample-data sample-model bench format format-check clean

all: build

deps:
	@bash tools/install_deps.sh

# What the tests (and the scripts in tools/ and bench/) run, besides the build's packages.
test-deps:
	@bash tools/install_deps.sh --test

configure: deps
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@bash tools/demo.sh $(BUILD)

test: build test-deps
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-qgis: build
	@bash tests/qgis/run_qgis_test.sh $(BUILD)

# cmake --install and the .deb, run from the installed files (QGIS included).
test-install: build test-deps
	@bash tests/install/run_install_test.sh $(BUILD)

# The .deb for Debian 12, in $(BUILD)/.
package: build
	@cd $(BUILD) && cpack

qgis-plugin:
	@bash qgis/build_plugin.sh

# Regenerates sample_data (rasters and deposits) and its model; both are committed.
sample-data: build
	$(BUILD)/tools/make_sample_data sample_data

sample-model: build
	$(BUILD)/tools/geoprosp-train sample_data/*.tif --deposits sample_data/deposits.gpkg \
	  --folds 5 -o sample_data/model --report sample_data/model-report.json --overwrite

# test-deps first: Google Benchmark must be there when CMake configures the bench/ targets.
bench: test-deps build
	@bash bench/run_benchmarks.sh $(BUILD)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

format-check:
	@clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) out
