#!/usr/bin/env bash
# The WebGPU figures of issue #8 on a machine with a real GPU, in one table (bench/gpu.bench.mjs): the adapter's
# name, matmul GFLOP/s against the card's peak, the LoRA step (with submits / readbacks per step) against PyTorch
# on the CPU, and native inference. Meant to finish in under 5 minutes.
#
#   bench/gpu.sh                     # real sizes: MiniLM-L6 shape, batch 16 × 64 (needs a real GPU adapter)
#   JAMMI_GPU_TINY=1 bench/gpu.sh    # tiny sizes, bert-tiny-sentiment: a dry run, also on SwiftShader
#
# Needs: node + this repo's node_modules, Chromium (CHROMIUM_PATH or /usr/bin/chromium), python3 with torch for the
# PyTorch row (skipped when missing), ../shared (JAMMI_SHARED) for the models and make_fixture.py.
# Headless Chromium reaches the GPU through Vulkan: it needs the Vulkan loader (libvulkan1) and the driver's ICD.
# On the device machines (see the device README): put libvulkan1 & co. as .deb files in .gl/ and they are unpacked
# here; the NVIDIA ICD is used where it is mounted.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${JAMMI_SHARED:-../shared}"

# --- Vulkan loader and driver -----------------------------------------------------------------------------------
if ! ldconfig -p 2>/dev/null | grep -q libvulkan; then
  if compgen -G ".gl/*.deb" >/dev/null; then
    echo "[gpu.sh] unpacking the Vulkan/EGL loaders from .gl/" >&2
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "[gpu.sh] warning: no libvulkan found (apt-get install libvulkan1, or see the device README); WebGPU may fall back to SwiftShader" >&2
  fi
fi
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
# Chromium: WebGPU (Dawn) on Vulkan, headless, no GPU blocklist. The SwiftShader dry run leaves them out
# (JAMMI_GPU_NO_VULKAN=1) since --use-angle=vulkan without a Vulkan driver can leave no adapter at all.
if [ "${JAMMI_GPU_NO_VULKAN:-0}" != 1 ]; then
  export JAMMI_CHROMIUM_ARGS="${JAMMI_CHROMIUM_ARGS:-} --enable-features=Vulkan,WebGPUService --use-vulkan --use-angle=vulkan --enable-unsafe-webgpu --ignore-gpu-blocklist --disable-vulkan-surface --disable-gpu-sandbox"
fi

# --- models -----------------------------------------------------------------------------------------------------
if [ "${JAMMI_GPU_TINY:-0}" = 1 ]; then
  export JAMMI_BENCH_LORA_MODEL="${JAMMI_BENCH_LORA_MODEL:-$SHARED/models/bert-tiny-sentiment}"
  export JAMMI_BENCH_LORA_BATCH="${JAMMI_BENCH_LORA_BATCH:-4}" JAMMI_BENCH_LORA_SEQ="${JAMMI_BENCH_LORA_SEQ:-16}"
else
  export JAMMI_BENCH_LORA_MODEL="${JAMMI_BENCH_LORA_MODEL:-bench/models/minilm-shape}"
  if [ ! -f "$JAMMI_BENCH_LORA_MODEL/model.safetensors" ]; then
    echo "[gpu.sh] making the MiniLM-L6-shaped model in $JAMMI_BENCH_LORA_MODEL" >&2
    python3 "$SHARED/tools/make_fixture.py" --arch bert --labels negative,positive --hidden 384 --layers 6 --heads 12 --intermediate 1536 --max-positions 512 \
      --tokenizer "$SHARED/tokenizers/bert-base-uncased" --out "$JAMMI_BENCH_LORA_MODEL"
  fi
fi

node src/grad/backends/wasm/build.mjs >&2 # the app's build imports the WebAssembly kernels (npm run build:wasm)
exec timeout "${JAMMI_GPU_TIMEOUT:-300}" node bench/run.mjs gpu
