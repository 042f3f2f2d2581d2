# Build-time script: writes OUT, a C++ file defining NS::FUNC() -> const std::vector<ipw::EmbeddedFile>&
# (src/ipw/common/embedded_file.h), the bytes of each INPUTS file as a raw string literal keyed by its
# file name.
# Raw literals compile fast even at 1 MB; the delimiter is checked so a file can never end its
# literal early. INPUTS arrives "|"-separated: a list cannot cross the command line (see
# ipw_embed_files() in embed.cmake, and report_web.cmake).
string(REPLACE "|" ";" INPUTS "${INPUTS}")
set(delim "ipwembed")
set(body "#include \"${HEADER}\"\nnamespace ${NS} {\nconst std::vector<ipw::EmbeddedFile>& ${FUNC}() {\n  static const std::vector<ipw::EmbeddedFile> files = {\n")
foreach(f IN LISTS INPUTS)
  file(READ ${f} content)
  string(FIND "${content}" ")${delim}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-literal delimiter )${delim}\"")
  endif()
  get_filename_component(name ${f} NAME)
  string(APPEND body "    {\"${name}\", R\"${delim}(${content})${delim}\"},\n")
endforeach()
string(APPEND body "  };\n  return files;\n}\n}  // namespace ${NS}\n")
file(WRITE ${OUT} "${body}")
