// pause and resume: freeze and thaw every process of the container (cgroup freezer).
import { LoadedContainer } from './container';

export async function pauseContainer(root: string, id: string): Promise<void> {
  const c = LoadedContainer.load(root, id);
  try {
    c.require(['running', 'created'], 'pause');
    await c.cgroup.setFrozen(true);
  } finally {
    c.release();
  }
}

export async function resumeContainer(root: string, id: string): Promise<void> {
  const c = LoadedContainer.load(root, id);
  try {
    c.require(['paused'], 'resume');
    await c.cgroup.setFrozen(false);
  } finally {
    c.release();
  }
}
