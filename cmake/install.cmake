# install.cmake - what `cmake --install` (make install) puts where, with
# GNUInstallDirs paths under CMAKE_INSTALL_PREFIX and DESTDIR honoured:
#   bin/famfs; sbin/famfsd, mkfs.famfs and mount.famfs (a link to famfs);
#   libdir/libfamfs.so.N with its SONAME link and the dev link libfamfs.so;
#   libdir/famfs/: the preload shim and the BPF resolver object;
#   include/famfs/famfs.h and sigbus.h (the public API only);
#   libdir/pkgconfig/famfs.pc; the man pages; bash completion;
#   the Python module; the example systemd unit in the doc directory.
# make uninstall removes the same files (cmake/uninstall.cmake).

install(TARGETS famfs_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS famfsd mkfs_famfs RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})

# mount(8) looks for helpers in /sbin (so install with PREFIX=/usr, or link
# /sbin/mount.famfs to this one, for mount -t famfs to find it).
file(RELATIVE_PATH FAMFS_SBIN_TO_FAMFS ${CMAKE_INSTALL_FULL_SBINDIR}
	${CMAKE_INSTALL_FULL_BINDIR}/famfs)
install(CODE "
	set(link \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_SBINDIR}/mount.famfs\")
	message(STATUS \"Installing: \${link} -> ${FAMFS_SBIN_TO_FAMFS}\")
	file(CREATE_LINK \"${FAMFS_SBIN_TO_FAMFS}\" \"\${link}\" SYMBOLIC)
	list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${link}\")
")

install(TARGETS famfs_shared
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_SKIP)
install(TARGETS famfs_shared
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_ONLY)
install(FILES ${CMAKE_SOURCE_DIR}/include/famfs/famfs.h ${CMAKE_SOURCE_DIR}/include/famfs/sigbus.h
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/famfs)

# pkg-config: paths relative to ${prefix} where GNUInstallDirs gave them so.
foreach(d LIBDIR INCLUDEDIR)
	if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
		set(FAMFS_PC_${d} "${CMAKE_INSTALL_${d}}")
	else()
		set(FAMFS_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
	endif()
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/lib/famfs.pc.in ${CMAKE_BINARY_DIR}/famfs.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/famfs.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(TARGETS famfs_preload LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/famfs)
install(FILES ${FAMFS_BPF_OBJ} DESTINATION ${CMAKE_INSTALL_LIBDIR}/famfs)

install(FILES ${CMAKE_SOURCE_DIR}/docs/man/famfs.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/docs/man/libfamfs.3 DESTINATION ${CMAKE_INSTALL_MANDIR}/man3)
install(FILES ${CMAKE_SOURCE_DIR}/docs/man/famfsd.8 ${CMAKE_SOURCE_DIR}/docs/man/mkfs.famfs.8
	${CMAKE_SOURCE_DIR}/docs/man/mount.famfs.8 DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)

# bash-completion loads completions/NAME when NAME is first completed: one
# file serves the three programs.
foreach(prog famfs mkfs.famfs famfsd)
	install(FILES ${CMAKE_SOURCE_DIR}/scripts/bash-completion/famfs
		DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME ${prog})
endforeach()

install(FILES ${CMAKE_SOURCE_DIR}/examples/mnt-famfs.mount
	${CMAKE_SOURCE_DIR}/examples/famfs_python.py
	DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

if(FAMFS_PYTHON)
	install(TARGETS famfs_python LIBRARY DESTINATION ${FAMFS_PYTHON_DIR})
endif()

# A library installed straight into the system (no DESTDIR) must be known
# to the dynamic linker before the Python module can load it.
install(CODE "
	if(\"\$ENV{DESTDIR}\" STREQUAL \"\" AND EXISTS /sbin/ldconfig)
		execute_process(COMMAND /sbin/ldconfig)
	endif()
")
