import { createApp } from 'vue';
import App from './App.vue';
import { router } from './router';
import { start, state } from './api';
import { initLang } from './i18n';
import { applyTheme } from './prefs';
import './style.css';

applyTheme();
const app = createApp(App);
start()
  .catch(() => { state.trouble = state.trouble ?? 'trouble.network'; })
  .finally(async () => {
    await initLang(state.meta?.langs?.[0] ?? null);
    // The router starts after meta is known: a server that needs setup sends every page there.
    app.use(router);
    app.mount('#app');
  });
