# lahza_embed(TARGET NAME FUNCTION FILES...)
# Compiles data files (UTF-8 text: message catalogues, help articles, training
# corpora) into a static library so the binary never depends on where it runs.
# The library defines `std::vector<lahza::EmbeddedFile> FUNCTION()` declared by
# the caller (see src/core/embedded.h).
function(lahza_embed target function)
  set(files ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${target}_embedded.cc)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DFUNCTION=${function}
            -DROOT=${PROJECT_SOURCE_DIR} "-DFILES=${files}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_generate.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_generate.cmake
    VERBATIM)
  add_library(${target} STATIC ${out})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
endfunction()
