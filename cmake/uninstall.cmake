# uninstall.cmake - make uninstall: cmake -DSTAGE=DIR -DDESTDIR=ROOT -P this.
# STAGE holds what `cmake --install` puts in place for the current PREFIX
# (the Makefile installs into it first); every file and link found there is
# removed from DESTDIR (empty: the live system), then the directories of
# famfs's own that are left empty.
if(NOT IS_DIRECTORY "${STAGE}")
	message(FATAL_ERROR "uninstall: STAGE=${STAGE} is not a directory")
endif()
file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE "${STAGE}" "${STAGE}/*")
set(dirs "")
foreach(f ${files})
	set(path "${DESTDIR}/${f}")
	string(REGEX REPLACE "^//+" "/" path "${path}")
	if(EXISTS "${path}" OR IS_SYMLINK "${path}")
		message(STATUS "Removing: ${path}")
		file(REMOVE "${path}")
	endif()
	# Directories of ours: one named famfs (include/famfs, lib/famfs,
	# share/doc/famfs) and a child of one (share/doc/famfs/examples).
	get_filename_component(d "${path}" DIRECTORY)
	get_filename_component(p "${d}" DIRECTORY)
	if(d MATCHES "/famfs$")
		list(APPEND dirs "${d}")
	elseif(p MATCHES "/famfs$")
		list(APPEND dirs "${d}" "${p}")
	endif()
endforeach()
list(REMOVE_DUPLICATES dirs)
list(SORT dirs ORDER DESCENDING)	# children before their parents
foreach(d ${dirs})
	file(GLOB left "${d}/*")
	if(IS_DIRECTORY "${d}" AND NOT left)
		message(STATUS "Removing: ${d}/")
		file(REMOVE_RECURSE "${d}")
	endif()
endforeach()
if("${DESTDIR}" STREQUAL "" AND EXISTS /sbin/ldconfig)
	execute_process(COMMAND /sbin/ldconfig)
endif()
