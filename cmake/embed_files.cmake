# Build-time script: writes OUT, a C++ file defining NS::FUNC() -> const std::vector<TYPE>&, the
# bytes of each INPUTS file as a raw string literal keyed by its file name (TYPE is {name, text}).
# INPUTS arrives "|"-separated: a list cannot cross the command line (see ipw_embed_files()).
string(REPLACE "|" ";" INPUTS "${INPUTS}")
set(body "#include \"${HEADER}\"\nnamespace ${NS} {\nconst std::vector<${TYPE}>& ${FUNC}() {\n  static const std::vector<${TYPE}> files = {\n")
foreach(f IN LISTS INPUTS)
  file(READ ${f} content)
  get_filename_component(name ${f} NAME)
  string(APPEND body "    {\"${name}\", R\"ipwembed(${content})ipwembed\"},\n")
endforeach()
string(APPEND body "  };\n  return files;\n}\n}  // namespace ${NS}\n")
file(WRITE ${OUT} "${body}")
