import sys, statistics as st, collections
rows = collections.OrderedDict()
for f in sys.argv[1:]:
    for line in open(f):
        p = line.split()
        if len(p) < 8: continue
        rows.setdefault((p[0], p[1]), []).append([float(x) for x in p[2:6]] + [p[8] if len(p) > 8 else ''])
base = {}
print(f"{'mechanism':24} {'Hz':>5} {'proc% med':>9} {'(min-max)':>15} {'thr% med':>8} {'(min-max)':>15} {'us/wake':>7} {'rate':>7} {'late us':>7} n")
for (m, r), v in rows.items():
    pr = [x[0] for x in v]; th = [x[1] for x in v]
    pm = st.median(pr); tm = st.median(th)
    usw = tm / 100 * 1e6 / float(r)
    print(f"{m:24} {r:>5} {pm:9.3f} ({min(pr):.3f}-{max(pr):.3f}) {tm:8.3f} ({min(th):.3f}-{max(th):.3f}) {usw:7.1f} {st.median(x[2] for x in v):7.2f} {st.median(x[3] for x in v):7.1f} {len(v)}")
