// /proc/self/mountinfo, the fields ociish reads from it.

/** The mount point (field 5) of one mountinfo line, its octal escapes (\040 for a space) decoded. */
export function mountPointField(line: string): string {
  return (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
