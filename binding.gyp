# The optional C++ addon (native/), built for this machine's CPU by `npm install`
# (scripts/build-native.mjs runs node-gyp; a failed build leaves slmkit on its reference backend).
# -march=native picks AVX-512 / AVX2 / NEON at compile time; no -ffast-math, which would break
# NaN/inf handling and the exact erf. Keep native/addon.cc's kFlags in step with these flags.
{
  "targets": [
    {
      "target_name": "slmkit_native",
      "sources": [
        "native/addon.cc",
        "native/bindings_linalg.cc",
        "native/bindings_nn.cc",
        "native/bindings_seq.cc",
        "native/threadpool.cc",
        "native/peak.cc",
        "native/hugealloc.cc",
        "native/matmul.cc",
        "native/elementwise.cc",
        "native/embedding.cc",
        "native/softmax.cc",
        "native/layernorm.cc",
        "native/gelu.cc",
        "native/attention.cc",
        "native/adamw.cc",
        "native/random.cc",
        "native/activations.cc",
        "native/recurrent.cc",
        "native/conv.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-O3", "-fno-math-errno", "-fopenmp-simd", "-fexceptions", "-Wno-maybe-uninitialized"],
      "conditions": [
        ["target_arch == 'x64' or target_arch == 'ia32'", { "cflags_cc": ["-march=native"] }],
        ["target_arch == 'arm64'", { "cflags_cc": ["-mcpu=native"] }],
        ["OS == 'mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-fopenmp-simd"]
          }
        }]
      ]
    }
  ]
}
