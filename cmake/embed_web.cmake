# INPUTS arrives "|"-separated (see report_web.cmake). Writes OUT: a C++ file
# defining ipw::report::report_assets(), each input as a raw string literal
# keyed by its file name. Raw literals compile fast even at 1 MB; the
# delimiter is checked so a file can never end the literal early.
string(REPLACE "|" ";" INPUTS "${INPUTS}")
set(delim "ipwasset")
set(body "#include \"ipw/report/assets.h\"\nnamespace ipw::report {\nconst std::vector<Asset>& report_assets() {\n  static const std::vector<Asset> assets = {\n")
foreach(f IN LISTS INPUTS)
  file(READ ${f} content)
  string(FIND "${content}" ")${delim}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw-literal delimiter )${delim}\"")
  endif()
  get_filename_component(name ${f} NAME)
  string(APPEND body "    {\"${name}\", R\"${delim}(${content})${delim}\"},\n")
endforeach()
string(APPEND body "  };\n  return assets;\n}\n}  // namespace ipw::report\n")
file(WRITE ${OUT} "${body}")
