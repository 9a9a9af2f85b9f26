/**
 * What the pod runner puts in a container's otherwise empty root for an image: the locally built binaries at the
 * paths the image has them, and the image's ENTRYPOINT for containers that set no `command`. Images are never
 * pulled; an image not listed here cannot run (the pod shows ErrImagePull-like waiting state).
 */
import { join } from "node:path";

export interface ImageContent {
  /** The image's ENTRYPOINT. */
  entrypoint: string[];
  /** Container path → host file, bind-mounted read-only. */
  files: Record<string, string>;
  /** The image's USER (when the pod sets no runAsUser/runAsGroup) and that user's home ($HOME). */
  uid: number;
  gid: number;
  home: string;
  /** Directories the image user owns (its home); writable unless the root filesystem is read-only. */
  ownedDirs: string[];
}

/** DittoFS images (`…/dittofs:<tag>`): `/app/dfs` is the entrypoint, `/app/dfsctl` the CLI beside it, user 65532, home /app. */
export function dittofsImages(binDir: string): (image: string) => ImageContent | undefined {
  return (image) => {
    const name = image.split("@")[0]!.replace(/:[^/:]*$/, "");
    if (!/(^|\/)dittofs$/.test(name)) return undefined;
    return { entrypoint: ["/app/dfs"], files: { "/app/dfs": join(binDir, "dfs"), "/app/dfsctl": join(binDir, "dfsctl") }, uid: 65532, gid: 65532, home: "/app", ownedDirs: ["/app"] };
  };
}
