# ipw_arrow_format(TARGET): flatc's C++ reader for the Arrow IPC metadata ipw reads
# (src/ipw/workload/arrow_format.fbs) generated into the build tree, on TARGET's
# include path as a system header (generated code is not held to ipw's warnings).
# Used by ipw and by the fuzz project (fuzz/CMakeLists.txt).
find_program(IPW_FLATC flatc)
if(NOT IPW_FLATC)
  message(FATAL_ERROR "flatc not found: apt-get install flatbuffers-compiler libflatbuffers-dev "
                      "(scripts/setup.sh installs them)")
endif()
function(ipw_arrow_format target)
  set(fbs ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../src/ipw/workload/arrow_format.fbs)
  set(out_dir ${CMAKE_BINARY_DIR}/generated/flatbuffers)
  if(NOT TARGET ipw_arrow_format_header)
    add_custom_command(OUTPUT ${out_dir}/arrow_format_generated.h
                       COMMAND ${IPW_FLATC} --cpp -o ${out_dir} ${fbs}
                       DEPENDS ${fbs}
                       COMMENT "Generating the Arrow IPC metadata reader (flatc)" VERBATIM)
    add_custom_target(ipw_arrow_format_header DEPENDS ${out_dir}/arrow_format_generated.h)
  endif()
  add_dependencies(${target} ipw_arrow_format_header)
  target_include_directories(${target} SYSTEM PRIVATE ${out_dir})
endfunction()
