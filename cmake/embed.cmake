# ipw_embed_files(TARGET NAME GLOB HEADER NS FUNC): compiles the files matching GLOB into TARGET
# as NS::FUNC() (declared in HEADER), regenerated whenever a file is added, removed or edited. Used for
# the built-in workload and the judge prompts, so both ship inside the binary and work from any
# directory, and the text a run used is exactly the one whose hash its manifest records.
function(ipw_embed_files target name glob header ns func)
  file(GLOB inputs CONFIGURE_DEPENDS ${glob})
  string(REPLACE ";" "|" inputs_arg "${inputs}")
  set(out ${CMAKE_BINARY_DIR}/generated/${name}.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} "-DINPUTS=${inputs_arg}" -DHEADER=${header} -DNS=${ns}
            -DFUNC=${func} -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    DEPENDS ${inputs} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
    COMMENT "Embedding ${name}" VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
