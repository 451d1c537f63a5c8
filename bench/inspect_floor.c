/* The floor under `h5layout inspect FILE` on h5py files: the HDF5 calls its C walk makes
 * (h5layout/runtime/tree.py _CWalker), made from C, timed in CPU seconds. Not part of the
 * package nor of `python -m bench.run`; the evidence behind the figures in README.md.
 *
 *   LIB=$(python -c "import glob, h5py, os; print(glob.glob(os.path.join(os.path.dirname(
 *         h5py.__file__), os.pardir, 'h5py.libs', 'libhdf5-*'))[0])")
 *   gcc -O2 -o /tmp/inspect_floor bench/inspect_floor.c "$LIB" -Wl,-rpath,$(dirname "$LIB")
 *   /tmp/inspect_floor FILE.h5
 *
 * The file is opened read-only with evict-on-close, as inspect opens it. Per node: open by
 * name, identity (H5Oget_info3), kind; per array: type, dataspace, creation list; per
 * attribute a plain PyMoDAQ tree shows: exists, open, type, dataspace, read (scalar
 * variable-length strings), free, close; per group: its links. Then close.
 * The prototypes are HDF5 1.12+'s, written out so no header is needed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int64_t hid_t;
typedef int herr_t;
typedef int htri_t;
typedef uint64_t hsize_t;
typedef herr_t (*link_cb)(hid_t, const char *, const void *, void *);
extern herr_t H5open(void);
extern herr_t H5Eset_auto2(hid_t, void *, void *);
extern hid_t H5Fopen(const char *, unsigned, hid_t);
extern herr_t H5Fclose(hid_t);
extern hid_t H5Oopen(hid_t, const char *, hid_t);
extern herr_t H5Oclose(hid_t);
extern herr_t H5Oget_info3(hid_t, void *, unsigned);
extern int H5Iget_type(hid_t);
extern herr_t H5Literate2(hid_t, int, int, hsize_t *, link_cb, void *);
extern htri_t H5Aexists(hid_t, const char *);
extern hid_t H5Aopen(hid_t, const char *, hid_t);
extern herr_t H5Aclose(hid_t);
extern hid_t H5Aget_type(hid_t);
extern hid_t H5Aget_space(hid_t);
extern herr_t H5Aread(hid_t, hid_t, void *);
extern htri_t H5Tis_variable_str(hid_t);
extern int H5Tget_class(hid_t);
extern herr_t H5Tclose(hid_t);
extern int H5Sget_simple_extent_type(hid_t);
extern int H5Sget_simple_extent_ndims(hid_t);
extern int H5Sget_simple_extent_dims(hid_t, hsize_t *, hsize_t *);
extern herr_t H5Sclose(hid_t);
extern hid_t H5Dget_type(hid_t);
extern hid_t H5Dget_space(hid_t);
extern hid_t H5Dget_create_plist(hid_t);
extern int H5Pget_layout(hid_t);
extern herr_t H5Pclose(hid_t);
extern herr_t H5free_memory(void *);
extern hid_t H5Pcreate(hid_t);
extern herr_t H5Pset_evict_on_close(hid_t, int);
extern hid_t H5P_CLS_FILE_ACCESS_ID_g;

static const char *ARRAY_ATTRS[] = {"TITLE", "data_dimension", "distribution", "label",
                                    "nav_indexes", "units"};
static const char *GROUP_ATTRS[] = {"TITLE", "type"};
static long nodes, attrs;

typedef struct {
    char **names;
    int n, cap;
} names_t;

static herr_t on_link(hid_t group, const char *name, const void *info, void *data) {
    names_t *l = data;
    (void)group;
    (void)info;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->names = realloc(l->names, (size_t)l->cap * sizeof(char *));
    }
    l->names[l->n++] = strdup(name);
    return 0;
}

static void walk(hid_t obj) {
    char info[256];
    hsize_t dims[32], maxdims[32];
    nodes++;
    H5Oget_info3(obj, info, 1);
    int kind = H5Iget_type(obj);
    if (kind == 5) {
        hid_t t = H5Dget_type(obj), s = H5Dget_space(obj), p = H5Dget_create_plist(obj);
        H5Tget_class(t);
        H5Tis_variable_str(t);
        H5Tclose(t);
        H5Sget_simple_extent_type(s);
        H5Sget_simple_extent_ndims(s);
        H5Sget_simple_extent_dims(s, dims, maxdims);
        H5Sclose(s);
        H5Pget_layout(p);
        H5Pclose(p);
    }
    const char **names = kind == 5 ? ARRAY_ATTRS : GROUP_ATTRS;
    int n = kind == 5 ? 6 : 2;
    for (int i = 0; i < n; i++) {
        if (H5Aexists(obj, names[i]) <= 0)
            continue;
        hid_t a = H5Aopen(obj, names[i], 0), t = H5Aget_type(a);
        if (H5Tis_variable_str(t) > 0) {
            hid_t s = H5Aget_space(a);
            int scalar = H5Sget_simple_extent_type(s) == 0;
            char *text = NULL;
            H5Sclose(s);
            if (scalar && H5Aread(a, t, &text) >= 0 && text) {
                attrs++;
                H5free_memory(text);
            }
        }
        H5Tclose(t);
        H5Aclose(a);
    }
    if (kind == 2) {
        names_t links = {0};
        H5Literate2(obj, 0, 0, NULL, on_link, &links);
        for (int i = 0; i < links.n; i++) {
            hid_t child = H5Oopen(obj, links.names[i], 0);
            if (child >= 0) {
                walk(child);
                H5Oclose(child);
            }
            free(links.names[i]);
        }
        free(links.names);
    }
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.h5\n", argv[0]);
        return 2;
    }
    H5open();
    H5Eset_auto2(0, NULL, NULL);
    for (int round = 0; round < 5; round++) {
        nodes = attrs = 0;
        clock_t c0 = clock();
        hid_t fapl = H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g);
        H5Pset_evict_on_close(fapl, 1);
        hid_t file = H5Fopen(argv[1], 0, fapl);
        H5Pclose(fapl);
        if (file < 0) {
            fprintf(stderr, "%s: cannot open\n", argv[1]);
            return 1;
        }
        hid_t root = H5Oopen(file, "/", 0);
        walk(root);
        H5Oclose(root);
        clock_t c1 = clock();
        H5Fclose(file);
        clock_t c2 = clock();
        printf("%ld nodes, %ld attributes: walk %.3f s, close %.3f s, total %.3f s CPU\n", nodes,
               attrs, (double)(c1 - c0) / CLOCKS_PER_SEC, (double)(c2 - c1) / CLOCKS_PER_SEC,
               (double)(c2 - c0) / CLOCKS_PER_SEC);
    }
    return 0;
}
