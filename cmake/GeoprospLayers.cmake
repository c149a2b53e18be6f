# The folders of src/ (and include/geoprosp/) are the stages of the pipeline, and each is a CMake
# library target. geoprosp_layer() declares one with the layers it may use; after all are declared,
# geoprosp_check_layering() reads every #include "geoprosp/<folder>/..." of every layer's sources and
# headers and stops the configuration when one reaches a folder that is not below it: a layering
# mistake fails the build, with the file and the line.
#
#   geoprosp_layer(NAME folder SOURCES a.cpp ... [USES layer ...] [LIBS target ...] [TORCH])
#
# The target is geoprosp_<folder>. USES are other layers (linked PUBLIC); LIBS are outside
# libraries. TORCH marks the only layers that may include LibTorch.

set(GEOPROSP_LAYERS "" CACHE INTERNAL "")

function(geoprosp_layer name)
  cmake_parse_arguments(L "TORCH" "" "SOURCES;USES;LIBS" ${ARGN})
  set(target geoprosp_${name})
  add_library(${target} STATIC ${L_SOURCES})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_compile_options(${target} PRIVATE ${GEOPROSP_WARNINGS})
  set(uses "")
  foreach(layer ${L_USES})
    list(APPEND uses geoprosp_${layer})
  endforeach()
  target_link_libraries(${target} PUBLIC ${uses} ${L_LIBS})
  set_property(GLOBAL PROPERTY GEOPROSP_LAYER_USES_${name} ${L_USES})
  set_property(GLOBAL PROPERTY GEOPROSP_LAYER_TORCH_${name} ${L_TORCH})
  set(GEOPROSP_LAYERS ${GEOPROSP_LAYERS} ${name} CACHE INTERNAL "")
endfunction()

# Every layer reachable from `name` through USES, `name` included.
function(_geoprosp_reachable name out)
  set(seen ${name})
  set(queue ${name})
  while(queue)
    list(POP_FRONT queue current)
    get_property(uses GLOBAL PROPERTY GEOPROSP_LAYER_USES_${current})
    foreach(next ${uses})
      if(NOT next IN_LIST seen)
        list(APPEND seen ${next})
        list(APPEND queue ${next})
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(geoprosp_check_layering)
  set(problems "")
  foreach(layer ${GEOPROSP_LAYERS})
    _geoprosp_reachable(${layer} allowed)
    get_property(torch GLOBAL PROPERTY GEOPROSP_LAYER_TORCH_${layer})
    file(GLOB_RECURSE files
      ${PROJECT_SOURCE_DIR}/src/${layer}/*.cpp ${PROJECT_SOURCE_DIR}/src/${layer}/*.hpp
      ${PROJECT_SOURCE_DIR}/include/geoprosp/${layer}/*.hpp)
    foreach(file ${files})
      file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
      foreach(line ${lines})
        if(line MATCHES "[<\"]geoprosp/([a-z_]+)/")
          set(used ${CMAKE_MATCH_1})
          if(NOT used IN_LIST allowed)
            file(RELATIVE_PATH where ${PROJECT_SOURCE_DIR} ${file})
            list(APPEND problems "${where}: ${layer}/ may not include ${used}/ (${line})")
          endif()
        endif()
        if(line MATCHES "[<\"](torch|ATen|c10)/" AND NOT torch)
          file(RELATIVE_PATH where ${PROJECT_SOURCE_DIR} ${file})
          list(APPEND problems "${where}: ${layer}/ may not include LibTorch (${line})")
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "Layering violations (see docs/architecture.md):\n  ${text}")
  endif()
endfunction()
