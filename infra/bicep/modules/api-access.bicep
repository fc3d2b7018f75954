// Only Static Web Apps may call the Function App. App Service built-in authentication runs in front of
// the host with the Azure Static Web Apps identity provider: a request must carry the token the linked
// site attaches when it forwards /api/* for a signed-in user, or it is answered 401 before the app runs.
// The platform also drops any x-ms-client-principal a client sends and sets its own, so a direct call
// with a forged principal never reaches the code that reads it (functions/caller.py).
//
// Applied after the site and its link exist (linking registers the same provider; this makes the
// result explicit and the same on every provision).

@description('Name of the Function App to protect.')
param functionAppName string

@description('Default host name of the Static Web App linked to it: the audience of its forwarding token.')
param staticWebAppHostname string

@description('Paths that keep their own protection instead: the blob extension webhook Event Grid calls (the host checks its system key, code=).')
param excludedPaths array = [
  '/runtime/webhooks/blobs'
]

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: excludedPaths
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
    identityProviders: {
      azureStaticWebApps: {
        enabled: true
        registration: {
          clientId: staticWebAppHostname
        }
      }
      // No other way in: sign-in happens on the site, never on the Function App itself.
      azureActiveDirectory: {
        enabled: false
      }
      gitHub: {
        enabled: false
      }
      google: {
        enabled: false
      }
      facebook: {
        enabled: false
      }
      twitter: {
        enabled: false
      }
      apple: {
        enabled: false
      }
      legacyMicrosoftAccount: {
        enabled: false
      }
    }
  }
}
