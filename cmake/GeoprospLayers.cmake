# The folders of src/ (and include/geoprosp/) are the stages of the pipeline, and each holds CMake
# library targets. geoprosp_layer() declares one with the layers it may use; after all are declared,
# geoprosp_check_layering() reads every #include "geoprosp/<folder>/..." of every folder's sources and
# headers and stops the configuration when one reaches a folder that is not below it: a layering
# mistake fails the build, with the file and the line.
#
#   geoprosp_layer(folder [TARGET name] [MODULE] SOURCES a.cpp ... [USES layer ...] [LIBS target ...] [TORCH])
#
# The target is geoprosp_<folder>, or geoprosp_<name> for a folder's further targets (apps/ has one per
# tool family, so that geoprosp-map links no LibTorch; training/ also builds the LibTorch scorer as a
# plugin). USES are other folders, linked PUBLIC through their geoprosp_<folder> target; LIBS are outside
# libraries. MODULE makes a dlopen()ed plugin instead of a static library. TORCH marks the only folders
# that may include LibTorch.
#
# The check is per file: a target's own sources may include the folders that target reaches; a header
# (or a source of no target) those that any target of its folder reaches.

set_property(GLOBAL PROPERTY GEOPROSP_LAYERS "")

function(geoprosp_layer folder)
  cmake_parse_arguments(L "TORCH;MODULE" "TARGET" "SOURCES;USES;LIBS" ${ARGN})
  set(target geoprosp_${folder})
  if(L_TARGET)
    set(target geoprosp_${L_TARGET})
  endif()
  if(L_MODULE)
    add_library(${target} MODULE ${L_SOURCES})
  else()
    add_library(${target} STATIC ${L_SOURCES})
  endif()
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  # Position-independent (the plugin links the layers), but calls within geoprosp still inline.
  target_compile_options(${target} PRIVATE ${GEOPROSP_WARNINGS} $<$<CXX_COMPILER_ID:GNU>:-fno-semantic-interposition>)
  set(uses "")
  foreach(layer ${L_USES})
    list(APPEND uses geoprosp_${layer})
  endforeach()
  target_link_libraries(${target} PUBLIC ${uses} ${L_LIBS})
  list(TRANSFORM L_SOURCES PREPEND ${PROJECT_SOURCE_DIR}/ OUTPUT_VARIABLE sources)
  set_property(GLOBAL PROPERTY GEOPROSP_TARGET_USES_${target} ${L_USES})
  set_property(GLOBAL PROPERTY GEOPROSP_TARGET_SOURCES_${target} ${sources})
  set_property(GLOBAL APPEND PROPERTY GEOPROSP_FOLDER_TARGETS_${folder} ${target})
  set_property(GLOBAL APPEND PROPERTY GEOPROSP_FOLDER_USES_${folder} ${L_USES})
  if(L_TORCH)
    set_property(GLOBAL PROPERTY GEOPROSP_FOLDER_TORCH_${folder} ON)
  endif()
  get_property(folders GLOBAL PROPERTY GEOPROSP_LAYERS)
  if(NOT folder IN_LIST folders)
    set_property(GLOBAL APPEND PROPERTY GEOPROSP_LAYERS ${folder})
  endif()
endfunction()

# `folder` and every folder reachable from `uses` through the folders' USES.
function(_geoprosp_reachable folder uses out)
  set(seen "")
  set(queue ${uses})
  while(queue)
    list(POP_FRONT queue current)
    if(current IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${current})
    get_property(next GLOBAL PROPERTY GEOPROSP_FOLDER_USES_${current})
    list(APPEND queue ${next})
  endwhile()
  list(APPEND seen ${folder})
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(geoprosp_check_layering)
  set(problems "")
  get_property(folders GLOBAL PROPERTY GEOPROSP_LAYERS)
  foreach(folder ${folders})
    get_property(folder_uses GLOBAL PROPERTY GEOPROSP_FOLDER_USES_${folder})
    foreach(used ${folder_uses})
      if(NOT TARGET geoprosp_${used})
        list(APPEND problems "${folder}/ uses ${used}/, which declares no geoprosp_${used} target")
      endif()
    endforeach()
    _geoprosp_reachable(${folder} "${folder_uses}" folder_allowed)
    get_property(targets GLOBAL PROPERTY GEOPROSP_FOLDER_TARGETS_${folder})
    get_property(torch GLOBAL PROPERTY GEOPROSP_FOLDER_TORCH_${folder})
    file(GLOB_RECURSE files
      ${PROJECT_SOURCE_DIR}/src/${folder}/*.cpp ${PROJECT_SOURCE_DIR}/src/${folder}/*.hpp
      ${PROJECT_SOURCE_DIR}/include/geoprosp/${folder}/*.hpp)
    foreach(file ${files})
      # The folders this file may include: those of the targets it is a source of, else the folder's.
      set(owner_uses "")
      set(owned OFF)
      foreach(target ${targets})
        get_property(sources GLOBAL PROPERTY GEOPROSP_TARGET_SOURCES_${target})
        if(file IN_LIST sources)
          get_property(target_uses GLOBAL PROPERTY GEOPROSP_TARGET_USES_${target})
          list(APPEND owner_uses ${target_uses})
          set(owned ON)
        endif()
      endforeach()
      set(allowed ${folder_allowed})
      if(owned)
        _geoprosp_reachable(${folder} "${owner_uses}" allowed)
      endif()
      file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
      foreach(line ${lines})
        if(line MATCHES "[<\"]geoprosp/([a-z_]+)/")
          set(used ${CMAKE_MATCH_1})
          if(NOT used IN_LIST allowed)
            file(RELATIVE_PATH where ${PROJECT_SOURCE_DIR} ${file})
            list(APPEND problems "${where}: ${folder}/ may not include ${used}/ here (${line})")
          endif()
        endif()
        if(line MATCHES "[<\"](torch|ATen|c10)/" AND NOT torch)
          file(RELATIVE_PATH where ${PROJECT_SOURCE_DIR} ${file})
          list(APPEND problems "${where}: ${folder}/ may not include LibTorch (${line})")
        endif()
      endforeach()
    endforeach()
  endforeach()
  if(problems)
    list(JOIN problems "\n  " text)
    message(FATAL_ERROR "Layering violations (see docs/architecture.md):\n  ${text}")
  endif()
endfunction()
