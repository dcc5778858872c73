// SPDX-License-Identifier: Apache-2.0
/*
 * famfsmodule.c - the Python module famfs: zero-copy views of famfs files,
 * built on libfamfs's public API (famfs/famfs.h) and nothing else.
 *
 *   with famfs.map(path, writable=False) as m:
 *       a = numpy.frombuffer(m, dtype=numpy.uint8)   # device memory itself
 *       famfs.flush(m)                               # after stores
 *   famfs.stat(path).size, .extents
 *
 * famfs.map is a buffer object over the file's direct mapping: memoryview()
 * and numpy.frombuffer() see the device memory, with no copy, no LD_PRELOAD
 * and no READ request to famfsd (one GET_FMAP at open). close() (or leaving
 * the with block) unmaps at once when no view is left; while views exist it
 * only refuses new ones, and the last view released unmaps, so a view can
 * never point at unmapped memory.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "famfs/famfs.h"

typedef struct {
	PyObject_HEAD
	struct famfs_map *map;	/* NULL once unmapped */
	PyObject *path;		/* str, as given */
	Py_ssize_t exports;	/* buffer views alive */
	int closed;
} MapObject;

/*
 * Raise OSError (the errno's subclass) for a libfamfs error: strerror is
 * the library's one-line detail, less a leading "PATH: " (the exception
 * names the file already), or strerror(3) when there is no detail.
 */
static PyObject *famfs_error(int err, PyObject *path, const char *cpath)
{
	const char *detail = famfs_errmsg();
	size_t n = strlen(cpath);
	PyObject *exc;

	if (!strncmp(detail, cpath, n) && !strncmp(detail + n, ": ", 2))
		detail += n + 2;
	exc = PyObject_CallFunction(PyExc_OSError, "isO", -err,
				    detail[0] ? detail : strerror(-err), path);
	if (exc) {
		PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
		Py_DECREF(exc);
	}
	return NULL;
}

/* ---- famfs.map ---- */

static void map_unmap(MapObject *self)
{
	struct famfs_map *m = self->map;

	self->map = NULL;
	if (m) {
		Py_BEGIN_ALLOW_THREADS
		famfs_map_close(m);
		Py_END_ALLOW_THREADS
	}
}

static PyObject *map_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
	static char *kwlist[] = { "path", "writable", NULL };
	PyObject *pathobj = NULL, *fspath, *bytes = NULL;
	struct famfs_map *m = NULL;
	MapObject *self;
	int writable = 0, err;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|p:map", kwlist, &pathobj, &writable))
		return NULL;
	fspath = PyOS_FSPath(pathobj);
	if (!fspath)
		return NULL;
	if (!PyUnicode_FSConverter(fspath, &bytes)) {
		Py_DECREF(fspath);
		return NULL;
	}
	Py_BEGIN_ALLOW_THREADS
	famfs_errclear();
	err = famfs_map_open(PyBytes_AS_STRING(bytes), writable ? O_RDWR : O_RDONLY, &m);
	Py_END_ALLOW_THREADS
	if (err)
		famfs_error(err, fspath, PyBytes_AS_STRING(bytes));
	Py_DECREF(bytes);
	if (err) {
		Py_DECREF(fspath);
		return NULL;
	}
	self = (MapObject *)type->tp_alloc(type, 0);
	if (!self) {
		famfs_map_close(m);
		Py_DECREF(fspath);
		return NULL;
	}
	self->map = m;
	self->path = fspath;
	return (PyObject *)self;
}

static void map_dealloc(MapObject *self)
{
	/* Every view holds a reference, so none is left here. */
	map_unmap(self);
	Py_XDECREF(self->path);
	Py_TYPE(self)->tp_free((PyObject *)self);
}

static int map_check_open(MapObject *self)
{
	if (self->closed) {
		PyErr_SetString(PyExc_ValueError, "famfs map is closed");
		return -1;
	}
	return 0;
}

static int map_getbuffer(MapObject *self, Py_buffer *view, int flags)
{
	static char empty;
	void *addr;

	if (map_check_open(self))
		return -1;
	if ((flags & PyBUF_WRITABLE) && !famfs_map_writable(self->map)) {
		PyErr_SetString(PyExc_BufferError,
				"famfs map is read-only (open it with writable=True)");
		return -1;
	}
	addr = famfs_map_addr(self->map);
	if (PyBuffer_FillInfo(view, (PyObject *)self, addr ? addr : &empty,
			      (Py_ssize_t)famfs_map_size(self->map),
			      !famfs_map_writable(self->map), flags))
		return -1;
	self->exports++;
	return 0;
}

static void map_releasebuffer(MapObject *self, Py_buffer *view)
{
	if (--self->exports == 0 && self->closed)
		map_unmap(self);
}

static PyObject *map_close(MapObject *self, PyObject *unused)
{
	self->closed = 1;
	if (self->exports == 0)
		map_unmap(self);
	Py_RETURN_NONE;
}

static PyObject *map_enter(MapObject *self, PyObject *unused)
{
	if (map_check_open(self))
		return NULL;
	Py_INCREF(self);
	return (PyObject *)self;
}

static PyObject *map_exit(MapObject *self, PyObject *args)
{
	return map_close(self, NULL);
}

static Py_ssize_t map_length(MapObject *self)
{
	if (map_check_open(self))
		return -1;
	return (Py_ssize_t)famfs_map_size(self->map);
}

static PyObject *map_repr(MapObject *self)
{
	if (self->closed)
		return PyUnicode_FromFormat("<famfs.map %R closed>", self->path);
	return PyUnicode_FromFormat("<famfs.map %R size=%zu %s>", self->path,
				    famfs_map_size(self->map),
				    famfs_map_writable(self->map) ? "rw" : "ro");
}

static PyObject *map_get_size(MapObject *self, void *c)
{
	if (map_check_open(self))
		return NULL;
	return PyLong_FromSize_t(famfs_map_size(self->map));
}

static PyObject *map_get_writable(MapObject *self, void *c)
{
	if (map_check_open(self))
		return NULL;
	return PyBool_FromLong(famfs_map_writable(self->map));
}

static PyObject *map_get_address(MapObject *self, void *c)
{
	if (map_check_open(self))
		return NULL;
	return PyLong_FromVoidPtr(famfs_map_addr(self->map));
}

static PyObject *map_get_closed(MapObject *self, void *c)
{
	return PyBool_FromLong(self->closed);
}

static PyMethodDef map_methods[] = {
	{ "close", (PyCFunction)map_close, METH_NOARGS,
	  "close()\n\nUnmap the file. Views still alive keep the mapping until the last "
	  "is released; no new view can be made." },
	{ "__enter__", (PyCFunction)map_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)map_exit, METH_VARARGS, NULL },
	{ NULL }
};

static PyGetSetDef map_getset[] = {
	{ "size", (getter)map_get_size, NULL, "the file's size in bytes", NULL },
	{ "writable", (getter)map_get_writable, NULL, "mapped writable", NULL },
	{ "address", (getter)map_get_address, NULL,
	  "the address of file byte 0 in this process (0 for an empty file)", NULL },
	{ "closed", (getter)map_get_closed, NULL, "close() was called", NULL },
	{ NULL }
};

static PyMemberDef map_members[] = {
	{ "path", T_OBJECT, offsetof(MapObject, path), READONLY, "the path it was opened with" },
	{ NULL }
};

static PyBufferProcs map_as_buffer = {
	.bf_getbuffer = (getbufferproc)map_getbuffer,
	.bf_releasebuffer = (releasebufferproc)map_releasebuffer,
};

static PySequenceMethods map_as_sequence = {
	.sq_length = (lenfunc)map_length,
};

PyDoc_STRVAR(map_doc,
"map(path, writable=False)\n\n"
"Map the famfs file at path straight from its memory device. The object is a\n"
"buffer: memoryview(m) and numpy.frombuffer(m, ...) are views of the device\n"
"memory itself (no copy, no request to famfsd after the open). Writable maps\n"
"give writable views; stores are visible to other processes on this host at\n"
"once, and to other hosts after famfs.flush(m). Use it as a context manager,\n"
"or call close(). Raises OSError (FileNotFoundError, PermissionError ...)\n"
"with libfamfs's detail; the device must be readable (writable) by the caller.");

static PyTypeObject MapType = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "famfs.map",
	.tp_basicsize = sizeof(MapObject),
	.tp_dealloc = (destructor)map_dealloc,
	.tp_repr = (reprfunc)map_repr,
	.tp_as_sequence = &map_as_sequence,
	.tp_as_buffer = &map_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = map_doc,
	.tp_methods = map_methods,
	.tp_members = map_members,
	.tp_getset = map_getset,
	.tp_new = map_new,
};

/* ---- famfs.flush, famfs.invalidate ---- */

/* Parse (map, offset=0, length=None) into a range inside the map. */
static int parse_range(PyObject *args, PyObject *kwds, const char *fmt, MapObject **mp,
		       char **p, size_t *len)
{
	static char *kwlist[] = { "map", "offset", "length", NULL };
	Py_ssize_t off = 0, n = -1;
	MapObject *m;
	size_t size;

	if (!PyArg_ParseTupleAndKeywords(args, kwds, fmt, kwlist, &MapType, &m, &off, &n))
		return -1;
	if (map_check_open(m))
		return -1;
	size = famfs_map_size(m->map);
	if (off < 0 || (size_t)off > size || (n >= 0 && (size_t)n > size - (size_t)off)) {
		PyErr_Format(PyExc_ValueError, "range [%zd, +%zd) is outside the file (%zu bytes)",
			     off, n, size);
		return -1;
	}
	*mp = m;
	*p = (char *)famfs_map_addr(m->map) + off;
	*len = n < 0 ? size - (size_t)off : (size_t)n;
	return 0;
}

/* flush() and invalidate(): @op over the range the arguments name. */
static PyObject *cache_op(PyObject *args, PyObject *kwds, const char *fmt,
			  void (*op)(const void *p, size_t len))
{
	MapObject *m;
	size_t len;
	char *p;

	if (parse_range(args, kwds, fmt, &m, &p, &len))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	op(p, len);
	Py_END_ALLOW_THREADS
	Py_RETURN_NONE;
}

static PyObject *py_flush(PyObject *mod, PyObject *args, PyObject *kwds)
{
	return cache_op(args, kwds, "O!|nn:flush", famfs_flush);
}

static PyObject *py_invalidate(PyObject *mod, PyObject *args, PyObject *kwds)
{
	return cache_op(args, kwds, "O!|nn:invalidate", famfs_invalidate);
}

/* ---- famfs.stat ---- */

static PyStructSequence_Field extent_fields[] = {
	{ "file_offset", "offset in the file" },
	{ "device", "device index (0: the device the file system was made on)" },
	{ "device_offset", "offset in the device" },
	{ "length", "bytes" },
	{ NULL }
};

static PyStructSequence_Desc extent_desc = {
	"famfs.extent",
	"A run of a file contiguous on one device: file bytes [file_offset,\n"
	"file_offset + length) are at device_offset on device.",
	extent_fields, 4,
};

static PyStructSequence_Field stat_fields[] = {
	{ "size", "the file's size in bytes" },
	{ "interleaved", "True if the file is striped over several extents" },
	{ "extents", "tuple of famfs.extent in file order, covering the size rounded "
		     "up to 2 MiB" },
	{ NULL }
};

static PyStructSequence_Desc stat_desc = {
	"famfs.stat_result",
	"The size and layout of a famfs file, as famfs.stat() returns it.",
	stat_fields, 3,
};

static PyTypeObject ExtentType, StatType;

static PyObject *make_extent(const struct famfs_extent *e)
{
	PyObject *t = PyStructSequence_New(&ExtentType);
	const uint64_t v[4] = { e->file_offset, e->device, e->device_offset, e->length };

	if (!t)
		return NULL;
	for (int i = 0; i < 4; i++) {
		PyObject *x = PyLong_FromUnsignedLongLong(v[i]);

		if (!x) {
			Py_DECREF(t);
			return NULL;
		}
		PyStructSequence_SET_ITEM(t, i, x);
	}
	return t;
}

static PyObject *make_stat(const struct famfs_stat *st, const struct famfs_extent *ext)
{
	PyObject *r, *tup;

	tup = PyTuple_New((Py_ssize_t)st->nextents);
	if (!tup)
		return NULL;
	for (uint64_t i = 0; i < st->nextents; i++) {
		PyObject *e = make_extent(&ext[i]);

		if (!e) {
			Py_DECREF(tup);
			return NULL;
		}
		PyTuple_SET_ITEM(tup, (Py_ssize_t)i, e);
	}
	r = PyStructSequence_New(&StatType);
	if (!r) {
		Py_DECREF(tup);
		return NULL;
	}
	PyStructSequence_SET_ITEM(r, 0, PyLong_FromUnsignedLongLong(st->size));
	PyStructSequence_SET_ITEM(r, 1, PyBool_FromLong(st->interleaved));
	PyStructSequence_SET_ITEM(r, 2, tup);
	if (!PyStructSequence_GET_ITEM(r, 0)) {
		Py_DECREF(r);
		return NULL;
	}
	return r;
}

static PyObject *py_stat(PyObject *mod, PyObject *arg)
{
	struct famfs_extent *ext = NULL, *bigger;
	PyObject *bytes = NULL, *fspath, *r = NULL;
	struct famfs_stat st;
	size_t max = 64;
	int err;

	fspath = PyOS_FSPath(arg);
	if (!fspath)
		return NULL;
	if (!PyUnicode_FSConverter(fspath, &bytes))
		goto out;
	for (;;) {
		bigger = PyMem_Realloc(ext, max * sizeof(*ext));
		if (!bigger) {
			PyErr_NoMemory();
			goto out;
		}
		ext = bigger;
		Py_BEGIN_ALLOW_THREADS
		famfs_errclear();
		err = famfs_stat(PyBytes_AS_STRING(bytes), &st, ext, max);
		Py_END_ALLOW_THREADS
		if (err) {
			famfs_error(err, fspath, PyBytes_AS_STRING(bytes));
			goto out;
		}
		if (st.nextents <= max)
			break;
		max = (size_t)st.nextents;	/* the layout changed under us: again */
	}
	r = make_stat(&st, ext);
out:
	PyMem_Free(ext);
	Py_XDECREF(bytes);
	Py_DECREF(fspath);
	return r;
}

/* ---- the module ---- */

static PyMethodDef famfs_methods[] = {
	{ "flush", (PyCFunction)(void (*)(void))py_flush, METH_VARARGS | METH_KEYWORDS,
	  "flush(map, offset=0, length=None)\n\nWrite back the CPU caches over the map's "
	  "bytes [offset, offset + length) (to the end by default), so that another host "
	  "reads what this one stored." },
	{ "invalidate", (PyCFunction)(void (*)(void))py_invalidate, METH_VARARGS | METH_KEYWORDS,
	  "invalidate(map, offset=0, length=None)\n\nDrop the CPU cache lines over the "
	  "range, so that the next read sees what another host stored." },
	{ "stat", (PyCFunction)py_stat, METH_O,
	  "stat(path)\n\nThe size and layout of the famfs file at path (one request to "
	  "famfsd; the device is not opened): a famfs.stat_result (size, interleaved, "
	  "extents)." },
	{ NULL }
};

static struct PyModuleDef famfs_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "famfs",
	.m_doc = "famfs: zero-copy access to files of the famfs shared-memory file system.\n\n"
		 "with famfs.map(path) as m: numpy.frombuffer(m, dtype=...) views the "
		 "device memory itself.",
	.m_size = -1,
	.m_methods = famfs_methods,
};

PyMODINIT_FUNC PyInit_famfs(void);

PyMODINIT_FUNC PyInit_famfs(void)
{
	PyObject *mod;

	if (PyType_Ready(&MapType) < 0)
		return NULL;
	if (PyStructSequence_InitType2(&ExtentType, &extent_desc) < 0 ||
	    PyStructSequence_InitType2(&StatType, &stat_desc) < 0)
		return NULL;
	mod = PyModule_Create(&famfs_module);
	if (!mod)
		return NULL;
	if (PyModule_AddObjectRef(mod, "map", (PyObject *)&MapType) < 0 ||
	    PyModule_AddObjectRef(mod, "extent", (PyObject *)&ExtentType) < 0 ||
	    PyModule_AddObjectRef(mod, "stat_result", (PyObject *)&StatType) < 0) {
		Py_DECREF(mod);
		return NULL;
	}
	return mod;
}
