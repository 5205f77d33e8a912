/* augkit._jpeg: decode one window of a JPEG with libjpeg(-turbo), skipping what it doesn't keep.
 *
 * decode_window(data, out, top, left, height, width, check_rest, channels, exact_only) writes
 * the pixels of rows [top, top + height) and columns [left, left + width) of the full decode
 * into `out`, a writable C-contiguous buffer of height * width * channels bytes (channels 3:
 * RGB; 1: the samples of a grayscale JPEG). The pixels equal the full decode's (islow IDCT,
 * fancy upsampling, as simplejpeg and Pillow decode): columns come from jpeg_crop_scanline()
 * with a margin, so the upsampler's replicated crop edge never reaches a kept pixel; rows
 * before the window are skipped with jpeg_skip_scanlines().
 *
 * One exception: a progressive JPEG whose coefficients are not all refined to the last bit
 * (a valid scan script may stop early) is block-smoothed by libjpeg, and smoothing reads the
 * neighbouring blocks, which a crop or a skip replaces by replicated edges; libjpeg-turbo
 * releases also smooth such files differently (2.1 and 3.x differ by a level). For such a
 * file the window is read from full-width rows starting at row 0, which is exact against this
 * library's own full decode; with exact_only set (the caller's full decode uses another
 * libjpeg build) nothing is written and False is returned, so the caller decodes the file whole.
 * Returns True when the window was written.
 *
 * Any libjpeg warning (corrupt data, premature end) is an error. With check_rest set, the rows
 * after the window are entropy-decoded too (skipped, not transformed) and the end marker is
 * checked: a file is then refused exactly when a full strict decode refuses it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* Kept columns stay this far from a crop edge (the fancy upsampler replicates the edge). */
#define COLUMN_MARGIN 2
#define ROWS_PER_READ 16

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
} ErrorManager;

static void on_error_exit(j_common_ptr cinfo) {
    ErrorManager *err = (ErrorManager *)cinfo->err;
    err->base.format_message(cinfo, err->message);
    longjmp(err->escape, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    ErrorManager *err = (ErrorManager *)cinfo->err;
    if (level < 0) { /* a warning: corrupt or truncated data */
        err->base.format_message(cinfo, err->message);
        longjmp(err->escape, 1);
    }
}

/* True when libjpeg will block-smooth the output: a progressive file with coefficient bits
 * still unrefined (or never sent) after all its scans. Call after jpeg_start_decompress(),
 * which has read the whole file for a progressive JPEG. Conservative: any unrefined
 * coefficient counts, though libjpeg only looks at the first few. */
static int is_block_smoothed(j_decompress_ptr cinfo) {
    if (!cinfo->progressive_mode || !cinfo->do_block_smoothing || cinfo->coef_bits == NULL) return 0;
    for (int ci = 0; ci < cinfo->num_components; ci++) {
        for (int k = 0; k < DCTSIZE2; k++) {
            if (cinfo->coef_bits[ci][k] != 0) return 1;
        }
    }
    return 0;
}

/* Runs without the GIL; returns 0 (written), 1 (not written: smoothed and exact_only) or -1
 * with err->message set. */
static int decode_into(const unsigned char *data, size_t size, unsigned char *out, JDIMENSION top, JDIMENSION left,
                       JDIMENSION height, JDIMENSION width, int check_rest, int channels, int exact_only, ErrorManager *err) {
    struct jpeg_decompress_struct cinfo;
    unsigned char *volatile rows = NULL;
    cinfo.err = jpeg_std_error(&err->base);
    err->base.error_exit = on_error_exit;
    err->base.emit_message = on_emit_message;
    if (setjmp(err->escape)) {
        free(rows);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
        snprintf(err->message, sizeof err->message, "CMYK/YCCK JPEGs are not decoded by windows");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if (channels == 1 && cinfo.jpeg_color_space != JCS_GRAYSCALE) {
        snprintf(err->message, sizeof err->message, "one-channel windows are for grayscale JPEGs only");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    cinfo.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_components != channels || top + height > cinfo.output_height || left + width > cinfo.output_width) {
        snprintf(err->message, sizeof err->message, "window (%u, %u, %u, %u) is outside the %ux%u image", top, left, height,
                 width, cinfo.output_height, cinfo.output_width);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    int smoothed = is_block_smoothed(&cinfo);
    if (smoothed && exact_only) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    JDIMENSION crop_left = left > COLUMN_MARGIN ? left - COLUMN_MARGIN : 0;
    JDIMENSION crop_right = left + width + COLUMN_MARGIN < cinfo.output_width ? left + width + COLUMN_MARGIN : cinfo.output_width;
    JDIMENSION crop_width = crop_right - crop_left;
    if (smoothed) {
        crop_left = 0, crop_width = cinfo.output_width; /* smoothing reads neighbouring blocks: no crop */
    } else if (crop_left > 0 || crop_width < cinfo.output_width) {
        jpeg_crop_scanline(&cinfo, &crop_left, &crop_width); /* widened to iMCU boundaries */
    }
    size_t stride = (size_t)cinfo.output_width * (size_t)channels; /* output_width is now the cropped width */
    /* Several rows per jpeg_read_scanlines call: one row at a time makes a full decode about
     * 25% slower (measured with libjpeg-turbo 2.1.5 and 3.2, 4:2:0, smooth upsampling). */
    const JDIMENSION batch = ROWS_PER_READ;
    rows = malloc(stride * batch);
    JSAMPROW pointers[ROWS_PER_READ];
    if (rows == NULL) {
        snprintf(err->message, sizeof err->message, "out of memory");
        free(rows);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    for (JDIMENSION i = 0; i < batch; i++) pointers[i] = rows + i * stride;
    if (top > 0 && !smoothed) jpeg_skip_scanlines(&cinfo, top); /* smoothed: rows are read from row 0 */
    size_t offset = (size_t)(left - crop_left) * (size_t)channels, row_bytes = (size_t)width * (size_t)channels;
    while (cinfo.output_scanline < top + height) {
        JDIMENSION first = cinfo.output_scanline;
        JDIMENSION wanted = top + height - first < batch ? top + height - first : batch;
        JDIMENSION got = jpeg_read_scanlines(&cinfo, pointers, wanted);
        for (JDIMENSION i = 0; i < got; i++) {
            JDIMENSION y = first + i;
            if (y >= top && y < top + height) memcpy(out + (size_t)(y - top) * row_bytes, rows + i * stride + offset, row_bytes);
        }
    }
    if (check_rest) {
        /* Entropy-decode the remaining rows too (libjpeg skips straight to the end when asked
         * to skip every remaining row, so the last one is read), then check the end marker. */
        JDIMENSION remaining = cinfo.output_height - cinfo.output_scanline;
        if (remaining > 1) jpeg_skip_scanlines(&cinfo, remaining - 1);
        while (cinfo.output_scanline < cinfo.output_height) jpeg_read_scanlines(&cinfo, pointers, batch);
        jpeg_finish_decompress(&cinfo);
    }
    free(rows);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

static PyObject *decode_window(PyObject *self, PyObject *args) {
    Py_buffer data, out;
    unsigned int top, left, height, width;
    int check_rest = 1, channels = 3, exact_only = 0;
    if (!PyArg_ParseTuple(args, "y*w*IIII|pip:decode_window", &data, &out, &top, &left, &height, &width, &check_rest, &channels,
                          &exact_only))
        return NULL;
    PyObject *result = NULL;
    if (height == 0 || width == 0) {
        PyErr_SetString(PyExc_ValueError, "decode_window: the window must be at least 1x1");
    } else if (channels != 1 && channels != 3) {
        PyErr_Format(PyExc_ValueError, "decode_window: channels must be 1 or 3, got %d", channels);
    } else if (!PyBuffer_IsContiguous(&out, 'C') || (size_t)out.len != (size_t)height * width * (size_t)channels) {
        PyErr_Format(PyExc_ValueError, "decode_window: out must be a C-contiguous buffer of %zu bytes, got %zd",
                     (size_t)height * width * (size_t)channels, out.len);
    } else {
        ErrorManager err;
        memset(&err, 0, sizeof err);
        int status;
        Py_BEGIN_ALLOW_THREADS status = decode_into(data.buf, (size_t)data.len, out.buf, top, left, height, width, check_rest,
                                                    channels, exact_only, &err);
        Py_END_ALLOW_THREADS if (status >= 0) {
            result = PyBool_FromLong(status == 0);
        }
        else {
            PyErr_SetString(PyExc_ValueError, err.message[0] ? err.message : "JPEG decoding failed");
        }
    }
    PyBuffer_Release(&data);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"decode_window", decode_window, METH_VARARGS,
     "decode_window(data, out, top, left, height, width, check_rest=True, channels=3, exact_only=False)\n--\n\n"
     "Decode rows [top, top+height) and columns [left, left+width) of a JPEG (RGB or gray) into out.\n"
     "Returns False (nothing written) for a block-smoothed progressive JPEG when exact_only is set."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "augkit._jpeg", "Windowed JPEG decoding (libjpeg-turbo).", -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__jpeg(void) {
    PyObject *m = PyModule_Create(&module);
    if (m != NULL) PyModule_AddIntConstant(m, "LIBJPEG_VERSION", JPEG_LIB_VERSION);
    return m;
}
