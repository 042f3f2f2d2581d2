# The HTML report's front-end, inlined into the ipw library so every report is
# one offline file: the charting library from npm (package.json at the repo
# root; `npm ci` installs it, scripts/setup.sh runs that) plus ipw's own
# template, script and style in src/ipw/report/web/.
set(IPW_WEB_DIR ${CMAKE_SOURCE_DIR}/src/ipw/report/web)
set(IPW_ECHARTS_JS ${CMAKE_SOURCE_DIR}/node_modules/echarts/dist/echarts.min.js)
set(IPW_WEB_INPUTS ${IPW_WEB_DIR}/report.html ${IPW_WEB_DIR}/report.css ${IPW_WEB_DIR}/report.js)
if(EXISTS ${IPW_ECHARTS_JS})
  list(APPEND IPW_WEB_INPUTS ${IPW_ECHARTS_JS})
else()
  # Keep the tree building; `ipw report` then fails with this same advice.
  message(WARNING "node_modules/echarts is missing: run `npm ci` in ${CMAKE_SOURCE_DIR} "
                  "(scripts/setup.sh does) and re-run cmake, or `ipw report` will refuse to run")
endif()
string(REPLACE ";" "|" IPW_WEB_INPUTS_ARG "${IPW_WEB_INPUTS}")
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/generated/report_assets.cpp
  COMMAND ${CMAKE_COMMAND} -DOUT=${CMAKE_BINARY_DIR}/generated/report_assets.cpp
          "-DINPUTS=${IPW_WEB_INPUTS_ARG}" -DHEADER=ipw/report/assets.h -DNS=ipw::report
          -DFUNC=report_assets -P ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
  DEPENDS ${IPW_WEB_INPUTS} ${CMAKE_SOURCE_DIR}/cmake/embed_files.cmake
  COMMENT "Embedding the HTML report's front-end" VERBATIM)
target_sources(ipw PRIVATE ${CMAKE_BINARY_DIR}/generated/report_assets.cpp)
