import { ref } from 'vue';
import { Failure } from './api';
import { t } from './i18n';

/** A form's submission: busy while it runs, its failure as a message to show. */
export function useAction() {
  const busy = ref(false);
  const error = ref('');
  async function run(action: () => Promise<void>) {
    busy.value = true;
    error.value = '';
    try {
      await action();
    } catch (e) {
      error.value = e instanceof Failure ? (e.code === 'NETWORK' ? t('trouble.network') : e.message) : String(e instanceof Error ? e.message : e);
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, run };
}
