# cmake/cuda.cmake: the CUDA backend (src/backend/cuda): CUDA C++ kernels behind extern "C"
# launchers (*.cu) and the C side that talks to the core (*.c). Built as sm_90 machine code
# (H100/H200) plus compute_80 PTX, which the driver compiles for any other GPU from Ampere on,
# unless CMAKE_CUDA_ARCHITECTURES says otherwise (scripts/gpu_test.sh builds 90 alone).
if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
if(NOT CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES "90-real;80-virtual")
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
file(GLOB CMLX_CUDA_SRC CONFIGURE_DEPENDS src/backend/cuda/*.c src/backend/cuda/*.cu)
set(CMLX_CUDA_LIBS CUDA::cudart CUDA::cublas CUDA::cublasLt ${CMAKE_DL_LIBS}) # dl: NVRTC is dlopen()ed
