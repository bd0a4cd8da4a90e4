import { createRouter, createWebHistory } from 'vue-router';
import { isStaff, state } from './api';

export const router = createRouter({
  history: createWebHistory(),
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
  routes: [
    { path: '/', component: () => import('./pages/Timeline.vue') },
    { path: '/setup', component: () => import('./pages/Setup.vue') },
    { path: '/signin', component: () => import('./pages/Signin.vue') },
    { path: '/signup', component: () => import('./pages/Signup.vue') },
    { path: '/notes/:id', component: () => import('./pages/NotePage.vue'), props: true },
    { path: '/my/notifications', component: () => import('./pages/Notifications.vue'), meta: { auth: true } },
    { path: '/settings', component: () => import('./pages/Settings.vue'), meta: { auth: true } },
    { path: '/search', component: () => import('./pages/Search.vue') },
    { path: '/my/drive/:folderId?', component: () => import('./pages/Drive.vue'), props: true, meta: { auth: true } },
    { path: '/my/lists/:id?', component: () => import('./pages/Lists.vue'), props: true, meta: { auth: true } },
    { path: '/miauth/:session', component: () => import('./pages/Auth.vue'), props: true, meta: { auth: true } },
    { path: '/auth/:token', component: () => import('./pages/Auth.vue'), props: true, meta: { auth: true } },
    { path: '/admin', component: () => import('./pages/Admin.vue'), meta: { auth: true, staff: true } },
    { path: '/tags/:tag', component: () => import('./pages/Tag.vue'), props: true },
    { path: '/:acct(@[^/]+)', component: () => import('./pages/UserPage.vue'), props: true },
    { path: '/:rest(.*)*', component: () => import('./pages/NotFound.vue') },
  ],
});

router.beforeEach((to) => {
  if (state.meta?.requireSetup && to.path !== '/setup') return '/setup';
  if (to.meta.auth && !state.me) return { path: '/signin', query: { then: to.fullPath } };
  if (to.meta.staff && !isStaff()) return '/';
});
